import { keys, SessionNotFoundError, StateConflictError, StateLockExpiredError, StatePermissionError, StateValueError } from '@switchyard/orchestration';
import { runTsChild } from './support/child-node';
import { StateHarness } from './support/state-harness';

/** Session state on the real Redis: transactions, isolation, limits and time to live. */
describe('session state', () => {
  let harness: StateHarness;

  beforeEach(() => {
    harness = new StateHarness({ SWITCHYARD_STATE_MAX_VALUE_BYTES: '1024', SWITCHYARD_STATE_MAX_KEY_BYTES: '32' });
  });
  afterEach(async () => {
    await harness.close();
  });

  const agent = (tag: string, sessionId: string, id: string, permission: 'full' | 'limited' | 'readonly' = 'full') =>
    harness.state.forAgent(tag as never, sessionId, { id, permission });

  describe('50 concurrent writers in two processes, 100 read-modify-writes each, on one shared key', () => {
    const run = async (mode: 'locked' | 'unguarded') => {
      const { sessionId, tag } = await harness.newSession();
      const orders = { mode, prefix: harness.prefix, sessionId, tag, key: 'counter', writers: 25, iterations: 100 };
      const outputs = await Promise.all([0, 1].map(() => runTsChild('test/support/state-writer.ts', [JSON.stringify(orders)])));
      const reports = outputs.map((o) => JSON.parse(o.trim()) as { pid: number; done: number });
      expect(new Set(reports.map((r) => r.pid)).size).toBe(2);
      expect(reports.reduce((sum, r) => sum + r.done, 0)).toBe(5000);
      return agent(tag, sessionId, 'reader').get<number>('counter');
    };

    it('loses no update when each one is a transaction that locks the key', async () => {
      expect(await run('locked')).toBe(5000);
    }, 240_000);

    it('loses updates without the lock (plain get, then set), which is what the guard is for', async () => {
      expect(await run('unguarded')).toBeLessThan(5000);
    }, 240_000);
  });

  describe('transactions', () => {
    it('leave no partial write when the work throws halfway, and release their locks', async () => {
      const { sessionId, tag } = await harness.newSession();
      const state = agent(tag, sessionId, 'a');
      await state.shared.set('a', 'before');
      await expect(
        state.transaction(
          async (tx) => {
            tx.set('a', 'after').set({ scope: 'private', key: 'b' }, 1);
            throw new Error('halfway');
          },
          { lock: ['a'] },
        ),
      ).rejects.toThrow('halfway');
      expect(await state.get('a')).toBe('before');
      expect(await state.private.get('b')).toBeUndefined();
      // The lock is free again: a transaction that may not wait for it gets it.
      const quick = new StateHarness({ SWITCHYARD_PREFIX: harness.prefix, SWITCHYARD_STATE_LOCK_WAIT_MS: '0' });
      try {
        await quick.state.forAgent(tag, sessionId, { id: 'b', permission: 'full' }).transaction(async (tx) => void tx.set('a', 'b'), { lock: ['a'] });
      } finally {
        await quick.close(false);
      }
      expect(await state.get('a')).toBe('b');
    });

    it('apply all or nothing when one write of the commit is invalid', async () => {
      const { sessionId, tag } = await harness.newSession();
      const state = agent(tag, sessionId, 'a');
      await state.shared.set('text', 'not a number');
      const tx = await state.begin();
      tx.set('first', 1).increment('text');
      await expect(tx.commit()).rejects.toThrow(StateValueError);
      expect(await state.get('first')).toBeUndefined();
      expect(await state.get('text')).toBe('not a number');
    });

    it('fail at commit, writing nothing, when their lock expired before it (another writer took the key meanwhile)', async () => {
      const { sessionId, tag } = await harness.newSession();
      const slow = agent(tag, sessionId, 'slow');
      const fast = agent(tag, sessionId, 'fast');
      await slow.shared.set('balance', 100);
      const tx = await slow.begin({ lock: ['balance'], lockTtlMs: 200 });
      const read = (await tx.get<number>('balance'))!;
      // The fast writer waits for the slow one's lock to lapse, then takes it and writes.
      await fast.transaction(async (other) => void other.set('balance', ((await other.get<number>('balance')) ?? 0) + 1), { lock: ['balance'] });
      tx.set('balance', read - 50);
      const failure = tx.commit();
      await expect(failure).rejects.toThrow(StateLockExpiredError);
      await expect(failure).rejects.toThrow(/lock \(200 ms\) expired before it committed; nothing was written/);
      expect(await slow.get('balance')).toBe(101);
      // Both counted in the cluster's lock metrics: the fast writer's wait, the slow one's lapse.
      await harness.flushMetrics();
      const metrics = await harness.redis.client.hgetall(keys.metrics(harness.shards.tags[0]));
      expect(Number(metrics['switchyard_lock_failures_total|{"reason":"expired","resource":"session-state"}'])).toBeGreaterThanOrEqual(1);
      expect(Number(metrics['switchyard_lock_waits_total|{"resource":"session-state"}'])).toBeGreaterThanOrEqual(1);
    });

    it('fail with a conflict when an entry they read changed before the commit, and retry their work when run by transaction()', async () => {
      const { sessionId, tag } = await harness.newSession();
      const a = agent(tag, sessionId, 'a');
      const b = agent(tag, sessionId, 'b');
      const tx = await a.begin();
      const seen = (await tx.get<number>('n')) ?? 0;
      await b.shared.increment('n');
      tx.set('n', seen + 10);
      await expect(tx.commit()).rejects.toThrow(StateConflictError);
      expect(await a.get('n')).toBe(1);

      let runs = 0;
      await a.transaction(async (t) => {
        runs += 1;
        const n = (await t.get<number>('n')) ?? 0;
        if (runs === 1) await b.shared.increment('n');
        t.set('n', n + 10);
      });
      expect(runs).toBe(2);
      expect(await a.get('n')).toBe(12);
    });

    it('read what the holder of their lock committed when they had to wait for it, with no conflict and no second run', async () => {
      const { sessionId, tag } = await harness.newSession();
      const first = agent(tag, sessionId, 'first');
      const second = agent(tag, sessionId, 'second');
      const holder = await first.begin({ lock: ['k'] });
      let runs = 0;
      const waiting = second.transaction(
        async (tx) => {
          runs += 1;
          tx.set('k', ((await tx.get<number>('k')) ?? 0) + 1);
        },
        { lock: ['k'] },
      );
      // Its first attempt (and the read sent behind it) finds the lock taken; that read is stale.
      await new Promise((r) => setTimeout(r, 100));
      await holder.set('k', 10).commit();
      await waiting;
      expect(await first.get('k')).toBe(11);
      expect(runs).toBe(1);
    });

    it('hold locks whose values are each their own (16 random bytes in hex, as Redlock draws them)', async () => {
      const values = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const held = await harness.locks.acquire([`{${harness.prefix}-0}:lock-value-test:${i}`], 5000);
        values.add(held.token);
        await harness.locks.release(held);
      }
      expect(values.size).toBe(300);
      for (const value of values) expect(value).toMatch(/^[0-9a-f]{32}$/);
      expect(await harness.keys(`{${harness.prefix}-0}:lock-value-test:*`)).toEqual([]);
    });

    it('give all their writes one new version; compare-and-set refuses a stale one', async () => {
      const { sessionId, tag } = await harness.newSession();
      const state = agent(tag, sessionId, 'a');
      const version = await state.transaction(async (tx) => tx.set('x', 1).set({ scope: 'temporary', key: 'y' }, 2).commit());
      expect((await state.shared.getVersioned('x')).version).toBe(version);
      expect((await state.temporary.getVersioned('y')).version).toBe(version);
      await state.shared.set('x', 2, { ifVersion: version });
      await expect(state.shared.set('x', 3, { ifVersion: version })).rejects.toThrow(StateConflictError);
      await expect(state.shared.set('x', 3, { ifVersion: 0 })).rejects.toThrow(StateConflictError);
      expect(await state.get('x')).toBe(2);
    });
  });

  describe('isolation', () => {
    it("keeps an agent's private scope from every other agent", async () => {
      const { sessionId, tag } = await harness.newSession();
      const a = agent(tag, sessionId, 'researcher@host:1');
      const b = agent(tag, sessionId, 'researcher@host:2');
      await a.private.set('notes', 'only mine');
      expect(await a.private.get('notes')).toBe('only mine');
      expect(await b.private.get('notes')).toBeUndefined();
      expect(await b.private.list()).toEqual({});
      expect(await b.shared.list()).toEqual({});
      const view = await harness.state.view(sessionId);
      expect(JSON.stringify(view)).not.toContain('only mine');
      expect(view.private).toEqual([{ agentId: 'researcher@host:1', entries: 1, redacted: true }]);
    });

    it("keeps one session's state from another", async () => {
      const x = await harness.newSession();
      const y = await harness.newSession();
      await agent(x.tag, x.sessionId, 'a').shared.set('k', 'x');
      await agent(x.tag, x.sessionId, 'a').private.set('k', 'x');
      expect(await agent(y.tag, y.sessionId, 'a').get('k')).toBeUndefined();
      expect(await agent(y.tag, y.sessionId, 'a').private.get('k')).toBeUndefined();
    });

    it("refuses a readonly agent's writes, and a limited one's to the shared scope", async () => {
      const { sessionId, tag } = await harness.newSession({ topic: 'AOF' });
      const readonly = agent(tag, sessionId, 'viewer', 'readonly');
      expect(await readonly.get('topic')).toBe('AOF');
      await expect(readonly.set('topic', 'x')).rejects.toThrow(StatePermissionError);
      await expect(readonly.private.set('mine', 1)).rejects.toThrow(/may not write the private scope/);
      await expect(readonly.temporary.increment('n')).rejects.toThrow(StatePermissionError);
      await expect(readonly.transaction(async (tx) => void tx.set('topic', 'x'))).rejects.toThrow(StatePermissionError);
      const limited = agent(tag, sessionId, 'helper', 'limited');
      await expect(limited.shared.merge('topic', { a: 1 })).rejects.toThrow(StatePermissionError);
      await limited.private.set('mine', 1);
      expect(await limited.get('topic')).toBe('AOF');
    });

    it('refuses writes to a session that does not exist', async () => {
      const sessionId = harness.shards.newSessionId();
      const state = agent(harness.shards.tagOf(sessionId)!, sessionId, 'a');
      await expect(state.set('k', 1)).rejects.toThrow(SessionNotFoundError);
      expect(await harness.keys()).toEqual([]);
    });
  });

  describe('limits', () => {
    it('name the entry and the limit for a key or value too large, and for what is not JSON', async () => {
      const { sessionId, tag } = await harness.newSession();
      const state = agent(tag, sessionId, 'a');
      await expect(state.set('k'.repeat(33), 1)).rejects.toThrow(/the key is 33 bytes; the limit is 32/);
      await expect(state.set('big', 'x'.repeat(2000))).rejects.toThrow(/shared.big: is 2002 bytes of JSON; the limit is 1024/);
      await expect(state.set('nothing', undefined)).rejects.toThrow(/shared.nothing: is not a JSON value/);
      await state.shared.append('list', ['x'.repeat(600)]);
      await expect(state.shared.append('list', ['y'.repeat(600)])).rejects.toThrow(/shared.list: would be \d+ bytes of JSON/);
      expect(await state.get<string[]>('list')).toHaveLength(1);
      await expect(state.temporary.set('t', 1, { ttlMs: 0 })).rejects.toThrow(StateValueError);
    });
  });

  describe('time to live', () => {
    it('removes temporary entries from Redis when their TTL passes', async () => {
      const { sessionId, tag } = await harness.newSession();
      const state = agent(tag, sessionId, 'a');
      await state.temporary.set('short', 'soon gone', { ttlMs: 1000 });
      await state.temporary.set('long', 'stays');
      expect(await state.temporary.list()).toEqual({ short: 'soon gone', long: 'stays' });
      const key = (await harness.keys()).find((k) => k.endsWith(':state:temp:short'))!;
      expect(key).toBeDefined();
      const deadline = Date.now() + 10_000;
      while ((await harness.redis.client.exists(key)) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await harness.redis.client.exists(key)).toBe(0);
      expect(await state.temporary.list()).toEqual({ long: 'stays' });
      expect(await harness.redis.client.pttl(key.replace(/short$/, 'long'))).toBeGreaterThan(0);
    });
  });
});
