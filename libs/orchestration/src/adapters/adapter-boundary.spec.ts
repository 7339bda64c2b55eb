import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');
const ADAPTERS = join('libs', 'orchestration', 'src', 'adapters') + sep;

/**
 * What only the adapters may use: internals of BullMQ (addJobToTransaction, execCommand,
 * createIORedisClient), of ioredis (scriptsSet, hand-built Commands, sendCommand, its socket) and
 * of Redlock (_random), each pinned and checked by a contract test there.
 */
const INTERNALS: readonly (readonly [name: string, pattern: RegExp])[] = [
  ['addJobToTransaction', /\baddJobToTransaction\b/],
  ['execCommand', /\bexecCommand\b/],
  ['createIORedisClient', /\bcreateIORedisClient\b/],
  ['scriptsSet', /\bscriptsSet\b/],
  // ioredis' Command (commander, the CLI's argument parser, has a Command of its own).
  ['new Command( of ioredis', /import \{[^}]*\bCommand\b[^}]*\} from 'ioredis'/],
  ['sendCommand', /\bsendCommand\b/],
  ['_random', /\b_random\b/],
  ['.cork(', /\.cork\(/],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|js|mjs)$/.test(name) && !name.split(sep).includes('node_modules'))
    .map((name) => join(dir, name));
}

const outside = ['libs', 'apps', 'bench', 'examples', 'scripts'].flatMap(sourceFiles).filter((file) => !file.startsWith(ADAPTERS));

describe('library internals', () => {
  it('are looked for in a real tree (the scan sees the adapters and the code around them)', () => {
    expect(outside.length).toBeGreaterThan(50);
    expect(outside).toContain(join('libs', 'orchestration', 'src', 'queues', 'task-queues.service.ts'));
    const adapters = sourceFiles(ADAPTERS);
    expect(adapters.some((file) => INTERNALS.some(([, pattern]) => pattern.test(readFileSync(join(ROOT, file), 'utf8'))))).toBe(true);
  });

  it.each(INTERNALS)('%s is used only under libs/orchestration/src/adapters/', (_, pattern) => {
    const users = outside.filter((file) => pattern.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(users.map((file) => relative('.', file))).toEqual([]);
  });
});
