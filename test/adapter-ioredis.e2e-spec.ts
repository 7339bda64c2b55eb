import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadDefinedScripts, sendFlat } from '@switchyard/orchestration/adapters/ioredis';
import { OwnRedis } from './support/redis-server';
import incr from './fixtures/incr.lua';
import incrByTwo from './fixtures/incr-by-two.lua';

/** The version the adapter is written for; package.json pins it exactly. */
const IOREDIS = '6.0.0';

/**
 * The contract of the ioredis adapter (libs/orchestration/src/adapters/ioredis) with the ioredis
 * it is pinned to, on a redis-server of its own (one test flushes its scripts). BoundedWaitRedis
 * and the socket writes have contract tests of their own (bounded-wait-redis, socket-writes).
 */
describe('the ioredis adapter', () => {
  let server: OwnRedis;
  let client: Redis;
  const key = `t${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    server = await OwnRedis.start();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    await client?.quit();
    await server?.destroy();
  });

  it('is the pinned ioredis', () => {
    const installed = JSON.parse(readFileSync(join(require.resolve('ioredis'), '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(IOREDIS);
    const pinned = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pinned.dependencies.ioredis).toBe(IOREDIS);
  });

  it('sends a command whose arguments are set after the Command is made (sendFlat): numbers as strings, replies as utf8, in a MULTI too', async () => {
    const flat = `${key}:flat`;
    await expect(sendFlat(client, 'rpush', [flat, 'a', 2, 'c'])).resolves.toBe(3);
    await expect(sendFlat(client, 'lrange', [flat, 0, -1])).resolves.toEqual(['a', '2', 'c']);
    await expect(sendFlat(client, 'eval', ['return {KEYS[1], ARGV[1], ARGV[2]}', 1, flat, 7, 'x'])).resolves.toEqual([flat, '7', 'x']);
    const multi = client.multi({ pipeline: false });
    const queued = sendFlat(client, 'llen', [flat]);
    await expect(Promise.all([multi, queued, client.exec()])).resolves.toEqual(['OK', 'QUEUED', [[null, 3]]]);
    await expect(sendFlat(client, 'hset', [flat, 'f', 1])).rejects.toThrow('WRONGTYPE');
  });

  it("keeps each script defined with defineCommand in scriptsSet, by the command's name, with its source", () => {
    const lua = incr;
    client.defineCommand('adapterCount', { numberOfKeys: 1, lua });
    expect((client.scriptsSet as Record<string, { lua: string }>).adapterCount).toMatchObject({ lua });
  });

  it('loads the defined scripts back after SCRIPT FLUSH, so that one sent inside a MULTI finds its SHA again', async () => {
    client.defineCommand('adapterDouble', { numberOfKeys: 1, lua: incrByTwo });
    /** The defined command, on the client or on a MULTI of it. */
    const double = <T>(on: Redis | ReturnType<Redis['multi']>) => (on as unknown as Record<string, (k: string) => T>).adapterDouble(`${key}:d`);
    expect(await double<Promise<number>>(client)).toBe(2);
    await client.script('FLUSH');
    const inMulti = () => double<ReturnType<Redis['multi']>>(client.multi()).exec();
    const [[refused]] = (await inMulti())!;
    expect(String(refused)).toMatch(/NOSCRIPT/);
    await loadDefinedScripts(client);
    expect(await inMulti()).toEqual([[null, 4]]);
  });
});
