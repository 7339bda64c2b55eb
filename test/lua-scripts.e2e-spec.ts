import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { Redis } from 'ioredis';
import { withIncludes } from '@switchyard/orchestration/redis/lua-source';
import { OwnRedis } from './support/redis-server';

const ROOT = join(__dirname, '..');

/** Every include of the tree (a file of an `includes/` folder), by its name: include names are unique. */
function allIncludes(dir: string): Record<string, string> {
  const includes: Record<string, string> = {};
  for (const name of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
    if (name.endsWith('.lua') && name.split(sep).includes('includes')) includes[basename(name, '.lua')] = readFileSync(join(ROOT, dir, name), 'utf8');
  }
  return includes;
}

/** Every script (not an include) under `dir`, with its includes filled in (a script may use another folder's, as start-task.lua does the sessions'). */
function scriptsUnder(dir: string): { file: string; source: string }[] {
  const includes = allIncludes(dir);
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.lua') && !name.split(sep).includes('includes') && !name.split(sep).includes('node_modules'))
    .map((name) => {
      const file = join(ROOT, dir, name);
      return { file: relative(ROOT, file), source: withIncludes(readFileSync(file, 'utf8'), includes) };
    });
}

/**
 * Every `.lua` script, with its includes filled in, compiles in Redis (SCRIPT LOAD): a slip in a
 * script that no e2e test happens to run, or a header that ends its comment early, fails here
 * rather than in production. A private redis-server, so the script cache is the test's own.
 */
describe('the .lua scripts', () => {
  let redis: OwnRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.destroy();
  });

  it.each(['libs', 'bench', join('test', 'fixtures')].flatMap((dir) => scriptsUnder(dir)).map(({ file, source }) => [file, source]))(
    '%s compiles in Redis',
    async (_, source) => {
      expect(await client.script('LOAD', source)).toMatch(/^[0-9a-f]{40}$/);
    },
  );
});
