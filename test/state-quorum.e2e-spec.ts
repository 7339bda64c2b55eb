import { Redis } from 'ioredis';
import { StateLockExpiredError, StateLockUnavailableError } from '@switchyard/orchestration';
import { OwnRedis } from './support/redis-server';
import { StateHarness } from './support/state-harness';

/** Redlock over three independent redis-servers of the test's own: a majority must grant each lock. */
describe('session state locks with a quorum of three Redis servers', () => {
  let servers: OwnRedis[] = [];
  let harness: StateHarness | undefined;

  afterEach(async () => {
    await harness?.close();
    await Promise.all(servers.map((s) => s.destroy()));
    servers = [];
  });

  it('keep working with one server down and fail clearly with two down', async () => {
    servers = await Promise.all([OwnRedis.start(), OwnRedis.start(), OwnRedis.start()]);
    harness = new StateHarness({ SWITCHYARD_LOCK_REDIS_URLS: servers.map((s) => s.url).join(','), SWITCHYARD_STATE_LOCK_WAIT_MS: '300' });
    expect(harness.locks.servers).toBe(3);
    const { sessionId, tag } = await harness.newSession();
    const state = harness.state.forAgent(tag, sessionId, { id: 'a', permission: 'full' });
    const bump = () => state.transaction(async (tx) => void tx.set('n', ((await tx.get<number>('n')) ?? 0) + 1), { lock: ['n'] });

    await bump();
    // The lock keys live on the lock servers, not in the deployment's Redis.
    const tx = await state.begin({ lock: ['n'] });
    const lockKeys = await Promise.all(
      servers.map(async (s) => {
        const client = new Redis(s.url);
        try {
          return await client.keys('*:lock:*');
        } finally {
          client.disconnect();
        }
      }),
    );
    // Redlock answers once a majority granted it; the third vote may still be on its way.
    expect(lockKeys.filter((k) => k.length === 1).length).toBeGreaterThanOrEqual(2);
    expect((await harness.keys()).filter((k) => k.includes(':lock:'))).toEqual([]);
    await tx.rollback();

    // A transaction that outlives its lock fails at commit; here the clock decides, as the
    // lock keys are on other servers than the data.
    const slow = await state.begin({ lock: ['n'], lockTtlMs: 200 });
    slow.set('n', 100);
    await new Promise((r) => setTimeout(r, 400));
    await expect(slow.commit()).rejects.toThrow(StateLockExpiredError);
    expect(await state.get('n')).toBe(1);

    await servers[0].down();
    await bump();
    await bump();
    expect(await state.get('n')).toBe(3);

    await servers[1].down();
    const failure = bump();
    await expect(failure).rejects.toThrow(StateLockUnavailableError);
    await expect(failure).rejects.toThrow(/only 1 of 3 lock servers answered, 2 are needed/);
    expect(await state.get('n')).toBe(3);
  });

  it('with one Redis (the default) that stops answering, a locking transaction fails after the lock wait instead of hanging', async () => {
    servers = [await OwnRedis.start()];
    harness = new StateHarness({ REDIS_URL: servers[0].url, SWITCHYARD_STATE_LOCK_WAIT_MS: '300' });
    expect(harness.locks.servers).toBe(1);
    const { sessionId, tag } = await harness.newSession();
    const state = harness.state.forAgent(tag, sessionId, { id: 'a', permission: 'full' });
    const bump = () => state.transaction(async (tx) => void tx.set('n', ((await tx.get<number>('n')) ?? 0) + 1), { lock: ['n'] });
    await bump();

    await servers[0].down();
    const started = Date.now();
    const failure = bump();
    await expect(failure).rejects.toThrow(StateLockUnavailableError);
    await expect(failure).rejects.toThrow(/Redis did not answer within 1600 ms/);
    // 2 × the lock wait and a second, with some slack for a busy machine.
    expect(Date.now() - started).toBeLessThan(5000);

    // Back (empty: it keeps nothing on disk): the commands that waited go out, the lock the failed
    // transaction asked for is released as soon as it is granted, and transactions go through.
    await servers[0].up();
    const again = await harness.newSession();
    const fresh = harness.state.forAgent(again.tag, again.sessionId, { id: 'a', permission: 'full' });
    await fresh.transaction(async (tx) => void tx.set('n', 1), { lock: ['n'] });
    expect(await fresh.get('n')).toBe(1);
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      if ((await harness.keys()).filter((k) => k.includes(':lock:')).length === 0) break;
    }
    expect((await harness.keys()).filter((k) => k.includes(':lock:'))).toEqual([]);
  });
});
