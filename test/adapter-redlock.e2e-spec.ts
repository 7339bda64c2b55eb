import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import Redlock, { ExecutionError } from 'redlock';
import { LockAcquirer, redlockOnOneRedis } from '@switchyard/orchestration/adapters/redlock';
import { OwnRedis } from './support/redis-server';

/** The version the adapter is written for; package.json pins it exactly. */
const REDLOCK = '5.0.0-beta.2';

interface Call {
  readonly method: string;
  readonly args: unknown[];
}

/** A lock server that records every call Redlock makes on it, and passes evalsha/eval on to `client`. */
function recordingServer(client: Redis): { server: Redis; calls: Call[] } {
  const calls: Call[] = [];
  const target = {
    evalsha: (sha: string, numKeys: number, args: (string | number)[]) => client.evalsha(sha, numKeys, ...args),
    eval: (script: string, numKeys: number, args: (string | number)[]) => client.eval(script, numKeys, ...args),
  };
  const server = new Proxy(target, {
    get(on, name) {
      const method = String(name);
      // Promise resolution looks for `then`; that is not a call of Redlock's.
      if (name === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push({ method, args });
        const own = (on as Record<string, ((...a: unknown[]) => unknown) | undefined>)[method];
        if (!own) throw new Error(`Redlock called ${method}, which the adapter's server does not have`);
        return own(...args);
      };
    },
  });
  return { server: server as unknown as Redis, calls };
}

/**
 * The contract of the Redlock adapter (libs/orchestration/src/adapters/redlock) with the Redlock it
 * is pinned to, on a redis-server of its own (one test flushes its scripts): which calls Redlock
 * makes on a lock server, with which arguments, when, and what it makes of the replies.
 */
describe('the Redlock adapter', () => {
  let server: OwnRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    client = new Redis(server.url);
  });
  afterEach(async () => {
    // Each test starts with a Redis that knows no script, as the first one did.
    await client.flushall();
    await client.script('FLUSH');
  });
  afterAll(async () => {
    await client?.quit();
    await server?.destroy();
  });

  it('is the pinned Redlock', () => {
    const installed = JSON.parse(readFileSync(join(require.resolve('redlock'), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version.replace(/^v/, '')).toBe(REDLOCK);
    const pinned = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pinned.dependencies.redlock).toBe(REDLOCK);
  });

  it('calls only evalsha on its server, and eval after NOSCRIPT: acquire before acquire() returns, with [...keys, value, ttl], release with [...keys, value]', async () => {
    const { server: recorder, calls } = recordingServer(client);
    const redlock = new Redlock([recorder], { retryCount: 0 });
    const acquiring = redlock.acquire(['a', 'b'], 5000);
    // Sent already: the adapter tells the first attempt from later ones by this.
    expect(calls).toEqual([{ method: 'evalsha', args: [redlock.scripts.acquireScript.hash, 2, ['a', 'b', expect.any(String), 5000]] }]);
    const lock = await acquiring;
    expect(await client.mget('a', 'b')).toEqual([lock.value, lock.value]);
    await redlock.release(lock);
    expect(await client.exists('a', 'b')).toBe(0);
    // The scripts are new to this Redis: each goes by its SHA first, then (NOSCRIPT) by its source.
    const { acquireScript, releaseScript } = redlock.scripts;
    expect(calls).toEqual([
      { method: 'evalsha', args: [acquireScript.hash, 2, ['a', 'b', lock.value, 5000]] },
      { method: 'eval', args: [acquireScript.value, 2, ['a', 'b', lock.value, 5000]] },
      { method: 'evalsha', args: [releaseScript.hash, 2, ['a', 'b', lock.value]] },
      { method: 'eval', args: [releaseScript.value, 2, ['a', 'b', lock.value]] },
    ]);
  });

  it('grants a lock when the acquire reply is the number of keys, and refuses it otherwise', async () => {
    const answering = (reply: number) => ({ evalsha: async () => reply, eval: async () => reply }) as unknown as Redis;
    await expect(new Redlock([answering(2)], { retryCount: 0 }).acquire(['a', 'b'], 5000)).resolves.toMatchObject({ resources: ['a', 'b'] });
    await expect(new Redlock([answering(1)], { retryCount: 0 }).acquire(['a', 'b'], 5000)).rejects.toThrow(ExecutionError);
    await expect(new Redlock([answering(0)], { retryCount: 0 }).acquire(['a', 'b'], 5000)).rejects.toThrow(ExecutionError);
  });

  describe('redlockOnOneRedis', () => {
    /** An acquirer that does the acquisition itself (SET NX on one key) or leaves it to Redlock. */
    const acquirer = (mine: boolean) => {
      const seen: [keys: readonly string[], value: string, ttlMs: number][] = [];
      const carry: LockAcquirer = {
        acquire(keys, value, ttlMs) {
          seen.push([keys, value, ttlMs]);
          if (!mine) return undefined;
          return client.set(keys[0], value, 'PX', ttlMs, 'NX').then((ok) => ok === 'OK');
        },
      };
      return { carry, seen };
    };

    it('hands each acquire attempt to the acquirer, whose answer grants or refuses the lock', async () => {
      const { carry, seen } = acquirer(true);
      const redlock = redlockOnOneRedis(client, carry, { retryCount: 0 });
      const lock = await redlock.acquire(['k'], 5000);
      expect(seen).toEqual([[['k'], lock.value, 5000]]);
      expect(await client.get('k')).toBe(lock.value);
      await expect(redlock.acquire(['k'], 5000)).rejects.toThrow(ExecutionError);
      await redlock.release(lock);
      expect(await client.exists('k')).toBe(0);
    });

    it("runs Redlock's own acquire script when the acquirer leaves it, on several keys", async () => {
      const { carry, seen } = acquirer(false);
      const redlock = redlockOnOneRedis(client, carry, { retryCount: 0 });
      const lock = await redlock.acquire(['x', 'y'], 5000);
      expect(seen).toEqual([[['x', 'y'], lock.value, 5000]]);
      expect(await client.mget('x', 'y')).toEqual([lock.value, lock.value]);
      expect(await client.pttl('x')).toBeGreaterThan(4000);
    });
  });
});
