import { Redis } from 'ioredis';
import { SessionNotFoundError, StateConflictError, StateValueError } from '@switchyard/orchestration';
import { commandCalls, OwnRedis } from './support/redis-server';
import { StateHarness } from './support/state-harness';

/**
 * With one Redis, a locking transaction reads its locked entries with the lock's own acquire, in
 * the same round trip (see ReadWithLock). A private redis-server, so its command counts and
 * SCRIPT FLUSH are the test's.
 */
describe('a read-modify-write transaction on one Redis', () => {
  let server: OwnRedis;
  let harness: StateHarness;
  let probe: Redis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    harness = new StateHarness({ REDIS_URL: server.url });
    probe = new Redis(server.url);
  });

  afterAll(async () => {
    await probe?.quit();
    await harness?.close();
    await server?.destroy();
  });

  /** Runs `work` alone on the private Redis and answers the calls it made, by command. */
  const counting = async (work: () => Promise<unknown>) => {
    await harness.flushMetrics(); // lock metrics of earlier tests would be counted otherwise
    await probe.config('RESETSTAT');
    await work();
    return commandCalls(probe);
  };

  const open = async () => {
    const { sessionId, tag } = await harness.newSession();
    return harness.state.forAgent(tag, sessionId, { id: 'a', permission: 'full' });
  };
  const bump = (state: Awaited<ReturnType<typeof open>>) =>
    state.transaction(async (tx) => void tx.set('n', ((await tx.get<number>('n')) ?? 0) + 1), { lock: ['n'] });

  it('costs two round trips: the lock (SET NX PX) with the read (HGET), then the commit script, which releases', async () => {
    const state = await open();
    await bump(state); // scripts loaded
    const counted = await counting(async () => {
      for (let i = 0; i < 10; i++) await bump(state);
    });
    expect(await state.get('n')).toBe(11);
    // One script call per transaction: the commit. The lock is Redlock's acquire of one key sent
    // as the SET it stands for, with the entry's HGET right behind it; the commit's version check
    // is the other HGET. No other read.
    expect(counted.evalsha).toBe(10);
    expect(counted.set).toBe(10);
    expect(counted.hget).toBe(20);
    // The scripts' own commands; INFO and CONFIG RESETSTAT are the probe's.
    expect(Object.keys(counted).filter((name) => !/^(evalsha|exists|set|hget|hset|get|del|pttl|incr|info|config\|resetstat)$/.test(name))).toEqual([]);
    expect(await harness.keys(`{${harness.prefix}-*:lock:*`)).toEqual([]);
  });

  it('locks and reads several entries in one command too, and keeps a transfer between them whole', async () => {
    const state = await open();
    await state.set('left', 100);
    await state.private.set('right', 0);
    const transfer = () =>
      state.transaction(
        async (tx) => {
          const left = (await tx.get<number>('left'))!;
          const right = (await tx.get<number>({ scope: 'private', key: 'right' }))!;
          tx.set('left', left - 1).set({ scope: 'private', key: 'right' }, right + 1);
        },
        { lock: ['left', { scope: 'private', key: 'right' }] },
      );
    await transfer();
    expect((await counting(transfer)).evalsha).toBe(2);
    // Concurrent transfers wait for each other's locks: none is lost, none counted twice.
    await Promise.all(Array.from({ length: 20 }, transfer));
    expect(await state.get('left')).toBe(78);
    expect(await state.private.get('right')).toBe(22);
    expect(await harness.keys(`{${harness.prefix}-*:lock:*`)).toEqual([]);
  });

  it('still reads, commits and releases after Redis lost its scripts', async () => {
    const state = await open();
    await bump(state);
    await probe.script('FLUSH');
    await bump(state);
    await Promise.all([bump(state), bump(state), bump(state)]);
    expect(await state.get('n')).toBe(5);
    expect(await harness.keys(`{${harness.prefix}-*:lock:*`)).toEqual([]);
  });

  it('after waiting for a held lock, reads the value the holder committed', async () => {
    const state = await open();
    await state.set('n', 0);
    const holder = await state.begin({ lock: ['n'] });
    const waiting = bump(state);
    // The waiter's first attempt was refused; it retries every 15 ± 15 ms.
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.set('n', 41);
    await holder.commit();
    await waiting;
    expect(await state.get('n')).toBe(42);
  });

  describe('without a lock, writing one entry', () => {
    const optimistic = (state: Awaited<ReturnType<typeof open>>, key = 'n', retries?: number) =>
      state.transaction(async (tx) => void tx.set(key, ((await tx.get<number>(key)) ?? 0) + 1), { retries });

    it('costs two commands, a plain read and the commit, and takes no lock', async () => {
      const state = await open();
      await optimistic(state); // scripts loaded
      const counted = await counting(async () => {
        for (let i = 0; i < 10; i++) await optimistic(state);
      });
      expect(await state.get('n')).toBe(11);
      // The entry's value and version are one field: one HGET reads both. The commit's version
      // check is the other HGET of each transaction.
      expect(counted.evalsha).toBe(10);
      expect(counted.hget).toBe(20);
      // No lock key was ever written: the commit only checked that none was held.
      expect(counted.set ?? 0).toBe(0);
      expect(counted.exists).toBe(10);
    });

    it("waits while a transaction holds the entry's lock, then sees what it wrote (a conflict, so transaction() runs the work again)", async () => {
      const state = await open();
      await state.set('n', 0);
      const holder = await state.begin({ lock: ['n'] });
      let runs = 0;
      const waiting = state.transaction(async (tx) => {
        runs++;
        tx.set('n', ((await tx.get<number>('n')) ?? 0) + 1);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(runs).toBe(1);
      holder.set('n', 41);
      await holder.commit();
      await waiting;
      expect(await state.get('n')).toBe(42);
      expect(runs).toBe(2);
    });

    it('loses no update among concurrent writers of distinct keys, nor against locking writers of the same key', async () => {
      const state = await open();
      await Promise.all(
        Array.from({ length: 20 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 10; i++) await optimistic(state, `k${w}`);
          })(),
        ),
      );
      for (let w = 0; w < 20; w++) expect(await state.get(`k${w}`)).toBe(10);
      // Mixed with transactions that lock the key: every update of both kinds lands (an optimistic
      // one that keeps meeting changes runs its work again, up to its retries).
      await state.set('n', 0);
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? bump(state) : optimistic(state, 'n', 100))));
      expect(await state.get('n')).toBe(10);
    });
  });

  describe('commits asked for in one tick', () => {
    it('go to Redis together, at most 16 to a script call, each checked and answered on its own', async () => {
      const state = await open();
      await state.set('stale', 'zeroth'); // version 1
      await state.set('stale', 'first');
      await state.set('text', 'not a number');
      await state.set('n', 0); // scripts loaded
      let outcomes: PromiseSettledResult<unknown>[] = [];
      const counted = await counting(async () => {
        outcomes = await Promise.allSettled([
          ...Array.from({ length: 17 }, (_, i) => state.set(`k${i}`, i)),
          state.shared.set('stale', 'second', { ifVersion: 1 }), // the version is not 1 any more
          state.shared.increment('text'),
          state.shared.increment('n', 5),
        ]);
      });
      // 20 writes asked for in one tick: a batch of 16, sent as it filled, and one of 4.
      expect(counted.evalsha).toBe(2);
      const errors = outcomes.map((o) => (o.status === 'rejected' ? o.reason : undefined));
      expect(errors.slice(0, 17)).toEqual(Array(17).fill(undefined));
      expect(errors[17]).toBeInstanceOf(StateConflictError);
      expect(errors[18]).toBeInstanceOf(StateValueError);
      expect(errors[19]).toBeUndefined();
      expect((outcomes[19] as PromiseFulfilledResult<number>).value).toBe(5);
      // Transactions that lock meet in batches too.
      await Promise.all([bump(state), bump(state), state.transaction(async (tx) => void tx.set('a', 1).set({ scope: 'private', key: 'b' }, 2))]);
      for (let i = 0; i < 17; i++) expect(await state.get(`k${i}`)).toBe(i);
      expect(await state.get('stale')).toBe('first');
      expect(await state.get('n')).toBe(7);
      expect(await state.get('a')).toBe(1);
      expect(await state.private.get('b')).toBe(2);
      // Every commit took a version of its own.
      const versions = await Promise.all(Array.from({ length: 17 }, async (_, i) => (await state.shared.getVersioned(`k${i}`)).version));
      expect(new Set(versions).size).toBe(17);
    });

    it('fail alone when Redis refuses one of their commands', async () => {
      const state = await open();
      await state.temporary.set('bad', 1);
      const [badKey] = await harness.keys(`{${harness.prefix}-*:temp:bad`);
      await probe.set(badKey, 'a string where the entry hash should be');
      let outcomes: PromiseSettledResult<number>[] = [];
      const counted = await counting(async () => {
        outcomes = await Promise.allSettled([state.temporary.set('bad', 2), state.temporary.set('good', 3)]);
      });
      expect(counted.evalsha).toBe(1);
      const [bad, good] = outcomes;
      expect(bad.status).toBe('rejected');
      expect(String((bad as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
      expect(good.status).toBe('fulfilled');
      expect(await state.temporary.get('good')).toBe(3);
    });

    it('of a session that is gone are each refused', async () => {
      const { sessionId, tag } = await harness.newSession();
      const state = harness.state.forAgent(tag, sessionId, { id: 'a', permission: 'full' });
      await state.set('x', 1);
      await probe.del(...(await harness.keys(`{${harness.prefix}-*:session:${sessionId}`)));
      const outcomes = await Promise.allSettled([state.set('x', 2), state.set('y', 3)]);
      for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(SessionNotFoundError);
    });
  });
});
