import { authHeader, TestKey } from './support/api-keys';
import { Stack } from './support/stack';

const API = '/api/orchestrator';
const LIST = `${API}/sessions`;
/** A plan no worker serves in the first stack (it has none): its sessions stay pending. */
const PLAN = {
  plan: {
    tasks: [
      { id: 'a', capabilities: ['data_analysis'] },
      { id: 'b', capabilities: ['data_analysis'], dependsOn: ['a'] },
    ],
  },
};

describe('GET /api/orchestrator/sessions: the session list', () => {
  let stack: Stack;
  /** Session ids per tenant, oldest first. */
  const acme: string[] = [];
  const globex: string[] = [];
  const cancelled: string[] = [];

  const as = (key: TestKey, path: string) => stack.request('GET', path, undefined, undefined, authHeader(key));
  /** Every page of a list from `path` (with its own query), following nextCursor; bounded. */
  const allPages = async (key: TestKey, path: string) => {
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const answer = await as(key, cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status).toBe(200);
      pages.push(answer.body);
      cursor = answer.body.nextCursor;
    } while (cursor !== null && pages.length < 50);
    return pages;
  };
  const ids = (pages: any[]) => pages.flatMap((page) => page.sessions.map((s: any) => s.sessionId));

  beforeAll(async () => {
    // Two shards: the list merges both shards' indexes by time.
    stack = await Stack.start({ workers: 0, env: { SWITCHYARD_RATE_LIMIT: '0', SWITCHYARD_SHARDS: '2' } });
    for (let i = 0; i < 7; i++) {
      const tenant = i % 3 === 2 ? globex : acme;
      const answer = await stack.request('POST', `${API}/orchestrate`, PLAN, undefined, authHeader(tenant === acme ? 'operator' : 'otherOperator'));
      expect(answer.status).toBe(202);
      tenant.push(answer.body.sessionId);
    }
    // A goal session too: it has no plan yet, so no tasks.
    const goal = await stack.request('POST', `${API}/orchestrate`, { goal: 'Compare AOF and RDB' }, undefined, authHeader('operator'));
    acme.push(goal.body.sessionId);
    for (const id of [acme[0], acme[3]]) {
      expect((await stack.request('DELETE', `${API}/sessions/${id}`)).status).toBe(200);
      cancelled.push(id);
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("shows a tenant its own sessions only, newest first, and an admin every tenant's", async () => {
    const own = await as('viewer', LIST);
    expect(own.body.sessions.map((s: any) => s.sessionId)).toEqual([...acme].reverse());
    expect(own.body.nextCursor).toBeNull();
    expect((await as('otherViewer', LIST)).body.sessions.map((s: any) => s.sessionId)).toEqual([...globex].reverse());
    const all = (await as('admin', `${LIST}?limit=100`)).body.sessions;
    expect(all).toHaveLength(acme.length + globex.length);
    const created = all.map((s: any) => s.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    // Both shards are listed.
    expect(new Set(all.map((s: any) => s.sessionId[0]))).toEqual(new Set(['0', '1']));
  });

  it('describes each session: status, goal, times and its number of tasks', async () => {
    const sessions = (await as('viewer', LIST)).body.sessions;
    const byId = new Map(sessions.map((s: any) => [s.sessionId, s]));
    expect(byId.get(acme[acme.length - 1])).toEqual({
      sessionId: acme[acme.length - 1],
      status: 'pending',
      goal: 'Compare AOF and RDB',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      finishedAt: null,
      tasks: { total: 0 },
    });
    expect(byId.get(acme[0])).toMatchObject({ status: 'cancelled', goal: null, finishedAt: expect.any(String), tasks: { total: 2 } });
    expect(byId.get(acme[1])).toMatchObject({ status: 'pending', finishedAt: null, tasks: { total: 2 } });
  });

  it('filters by status and by creation time', async () => {
    const onlyCancelled = (await as('viewer', `${LIST}?status=cancelled`)).body.sessions.map((s: any) => s.sessionId);
    expect(onlyCancelled).toEqual([...cancelled].reverse());
    const pending = (await as('viewer', `${LIST}?status=pending`)).body.sessions.map((s: any) => s.sessionId);
    expect(pending).toEqual(acme.filter((id) => !cancelled.includes(id)).reverse());
    const several = (await as('viewer', `${LIST}?status=cancelled,pending`)).body.sessions.map((s: any) => s.sessionId);
    expect(several).toEqual([...acme].reverse());
    expect((await as('viewer', `${LIST}?status=completed`)).body.sessions).toEqual([]);
    const everything = (await as('viewer', LIST)).body.sessions;
    const since = everything[2].createdAt;
    const recent = (await as('viewer', `${LIST}?since=${since}`)).body.sessions.map((s: any) => s.sessionId);
    expect(recent).toEqual(everything.filter((s: any) => s.createdAt >= since).map((s: any) => s.sessionId));
    expect(recent.length).toBeGreaterThanOrEqual(3);
    expect((await as('viewer', `${LIST}?since=2999-01-01T00:00:00Z`)).body).toEqual({ sessions: [], nextCursor: null });
  });

  it('pages without gaps or repeats, across shards, with and without a filter', async () => {
    const whole = ids([(await as('admin', `${LIST}?limit=100`)).body]);
    for (const limit of [1, 2, 3, 4]) {
      const pages = await allPages('admin', `${LIST}?limit=${limit}`);
      expect([limit, ids(pages)]).toEqual([limit, whole]);
      expect(pages.slice(0, -1).every((page) => page.sessions.length === limit)).toBe(true);
    }
    expect(ids(await allPages('viewer', `${LIST}?limit=2&status=pending`))).toEqual(acme.filter((id) => !cancelled.includes(id)).reverse());
  });

  it('answers 400 naming each bad or unknown query parameter', async () => {
    for (const [query, path] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['status=done', 'status'],
      ['since=yesterday', 'since'],
      ['cursor=not-a-cursor', 'cursor'],
      ['tenant=globex', 'query.tenant'],
    ]) {
      const answer = await as('viewer', `${LIST}?${query}`);
      expect([query, answer.status]).toEqual([query, 400]);
      expect([query, answer.body.errors.map((e: any) => e.path)]).toEqual([query, expect.arrayContaining([expect.stringContaining(path)])]);
    }
  });

  it('is for keys only', async () => {
    expect((await stack.request('GET', LIST, undefined, undefined, { authorization: '' })).status).toBe(401);
  });
});

describe('GET /api/orchestrator/sessions: expiry', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_RATE_LIMIT: '0', SWITCHYARD_RETENTION_S: '1' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const tag = () => `{${stack.prefix}-0}`;
  const indexed = async (id: string) =>
    [await stack.redis.zscore(`${tag()}:_sy:sessions`, id), await stack.redis.zscore(`${tag()}:_sy:sessions:tenant:acme`, id)].filter((s) => s !== null).length;
  /** Runs a one-task session to its end, then waits (bounded) until its record has expired (retention 1 s). */
  const runAndExpire = async () => {
    const started = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks: [{ id: 'x', capabilities: ['data_analysis'] }] } });
    const id = started.body.sessionId;
    expect((await stack.waitForSession(id)).status).toBe('completed');
    expect(await indexed(id)).toBe(2);
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && (await stack.redis.exists(`${tag()}:_sy:session:${id}`));) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await stack.redis.exists(`${tag()}:_sy:session:${id}`)).toBe(0);
    return id;
  };

  it('drops a session from the list, and its index entries from Redis, once its keys expire', async () => {
    const id = await runAndExpire();
    // Still indexed, as nothing read or trimmed the index since; the list skips and removes it.
    expect(await indexed(id)).toBe(2);
    expect((await stack.request('GET', LIST, undefined, undefined, authHeader('viewer'))).body).toEqual({ sessions: [], nextCursor: null });
    expect(await indexed(id)).toBe(0);
    expect((await stack.request('GET', LIST)).body).toEqual({ sessions: [], nextCursor: null });
  });

  it('trims the expired entries of a tenant nobody lists when its next session starts', async () => {
    const id = await runAndExpire();
    const next = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks: [{ id: 'x', capabilities: ['data_analysis'] }] } });
    expect(next.status).toBe(202);
    for (const deadline = Date.now() + 5_000; Date.now() < deadline && (await indexed(id)) > 0;) await new Promise((r) => setTimeout(r, 50));
    expect(await indexed(id)).toBe(0);
    expect(await indexed(next.body.sessionId)).toBe(2);
  });
});
