import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { authHeader, TestKey } from './support/api-keys';
import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';

const API = '/api/orchestrator';
const approvalPlan = { plan: { tasks: [{ id: 'gate', kind: 'approval', capabilities: ['data_analysis'] }] } };

/** Headers whose value differs between any two answers by nature (when, and a hash of the body). */
const VARYING_HEADERS = new Set(['date', 'etag']);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Every route under `sessions/:id`, each with a request that is malformed in the way that route
 * checks (query, params or body). `path` takes the session id.
 */
const ROUTES: { name: string; method: string; path: (id: string) => string; body?: unknown; invalid: { path: (id: string) => string; body?: unknown } }[] = [
  { name: 'GET a session', method: 'GET', path: (id) => `${API}/sessions/${id}`, invalid: { path: (id) => `${API}/sessions/${id}?verbose=1` } },
  { name: 'GET its state', method: 'GET', path: (id) => `${API}/sessions/${id}/state`, invalid: { path: (id) => `${API}/sessions/${id}/state?verbose=1` } },
  { name: 'GET its logs', method: 'GET', path: (id) => `${API}/sessions/${id}/logs`, invalid: { path: (id) => `${API}/sessions/${id}/logs?limit=abc` } },
  {
    name: 'GET its log stats',
    method: 'GET',
    path: (id) => `${API}/sessions/${id}/logs/stats`,
    invalid: { path: (id) => `${API}/sessions/${id}/logs/stats?level=x` },
  },
  {
    name: 'GET its log export',
    method: 'GET',
    path: (id) => `${API}/sessions/${id}/logs/export`,
    invalid: { path: (id) => `${API}/sessions/${id}/logs/export?format=xml` },
  },
  {
    name: 'GET its events',
    method: 'GET',
    path: (id) => `${API}/sessions/${id}/events`,
    invalid: { path: (id) => `${API}/sessions/${id}/events?logLevel=loud` },
  },
  {
    name: 'POST an events token',
    method: 'POST',
    path: (id) => `${API}/sessions/${id}/events/token`,
    invalid: { path: (id) => `${API}/sessions/${id}/events/token?ttl=1` },
  },
  {
    name: 'PATCH its context',
    method: 'PATCH',
    path: (id) => `${API}/sessions/${id}/context`,
    body: { note: 'x' },
    invalid: { path: (id) => `${API}/sessions/${id}/context`, body: [1] },
  },
  { name: 'DELETE it', method: 'DELETE', path: (id) => `${API}/sessions/${id}`, invalid: { path: (id) => `${API}/sessions/${id}?force=1` } },
  {
    name: 'POST resolve',
    method: 'POST',
    path: (id) => `${API}/sessions/${id}/tasks/gate/resolve`,
    body: { action: 'skip' },
    invalid: { path: (id) => `${API}/sessions/${id}/tasks/gate/resolve`, body: { action: 'shrug' } },
  },
  {
    name: 'POST fork',
    method: 'POST',
    path: (id) => `${API}/sessions/${id}/fork`,
    body: { fromTask: 'gate' },
    invalid: { path: (id) => `${API}/sessions/${id}/fork`, body: { fromTask: 5 } },
  },
  {
    name: 'POST a signal',
    method: 'POST',
    path: (id) => `${API}/sessions/${id}/signals/go`,
    body: { payload: { ok: true } },
    invalid: { path: (id) => `${API}/sessions/${id}/signals/go?loud=1`, body: { payload: 1 } },
  },
];

describe('a session of another tenant is answered exactly as one that does not exist', () => {
  let redis: OwnRedis;
  let stack: Stack;
  let monitor: Redis | undefined;
  /** Session ids, all of the same length: acme's, one never created, and one of globex's whose keys are gone. */
  const ids = { foreign: '', random: `0-${randomUUID()}`, expired: '' };

  beforeAll(async () => {
    // A server of our own, so that MONITOR sees only this test's commands.
    redis = await OwnRedis.start();
    stack = await Stack.start({ workers: 1, redisUrl: redis.url, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    const started = async (key: TestKey) => {
      const { status, body } = await stack.request('POST', `${API}/orchestrate`, approvalPlan, undefined, authHeader(key));
      if (status !== 202) throw new Error(`orchestrate answered ${status}: ${JSON.stringify(body)}`);
      await stack.waitForSession(body.sessionId, (s) => s.status === 'paused');
      return body.sessionId as string;
    };
    ids.foreign = await started('operator');
    ids.expired = await started('otherOperator');
    const gone = (await stack.keys()).filter((key) => key.includes(ids.expired));
    await stack.redis.del(...gone);
  });

  afterAll(async () => {
    monitor?.disconnect();
    await stack?.stop();
    await redis?.destroy();
  });

  /** One request as globex's operator, with the id in its body and headers replaced by `<id>`. */
  const ask = async (method: string, path: string, id: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: { ...authHeader('otherOperator'), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!VARYING_HEADERS.has(name)) headers[name] = value.split(id).join('<id>');
    });
    return { status: response.status, headers, body: text.split(id).join('<id>') };
  };

  it('uses ids of one length, so that even Content-Length can match', () => {
    expect(new Set(Object.values(ids).map((id) => id.length)).size).toBe(1);
  });

  it.each(ROUTES.map((route) => [route.name, route] as const))('%s: the same 404 for a foreign, a random and an expired id', async (_, route) => {
    const answers = await Promise.all(Object.values(ids).map((id) => ask(route.method, route.path(id), id, route.body)));
    expect(answers[0].status).toBe(404);
    expect(JSON.parse(answers[0].body)).toMatchObject({ status: 404, detail: expect.stringContaining('<id>') });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it.each(ROUTES.map((route) => [route.name, route] as const))(
    '%s: malformed input is the same 400 for a foreign, a random and an expired id',
    async (_, route) => {
      const answers = await Promise.all(Object.values(ids).map((id) => ask(route.method, route.invalid.path(id), id, route.invalid.body)));
      expect(answers[0].status).toBe(400);
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    },
  );

  it('covers every route under sessions/{id} of the API document', async () => {
    const document = (await stack.request('GET', '/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .filter(([path]) => path.includes('/sessions/{id}'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const covered = ROUTES.map(
      (route) => `${route.method} ${route.path('{id}').replace('/gate/', '/{taskId}/').replace('/signals/go', '/signals/{name}')}`,
    ).sort();
    expect(covered).toEqual(documented);
  });

  it('does the same Redis work for a foreign, a random and an expired id', async () => {
    monitor = await stack.redis.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args.join(' ')));
    const workOf = async (route: (typeof ROUTES)[number], id: string): Promise<string[]> => {
      seen.length = 0;
      await ask(route.method, route.path(id), id, route.body);
      // MONITOR reports a command as Redis runs it; give its feed a moment to arrive (bounded).
      await new Promise((r) => setTimeout(r, 200));
      return seen.filter((command) => command.includes(id)).map((command) => command.split(id).join('<id>'));
    };
    for (const route of ROUTES) {
      const foreign = await workOf(route, ids.foreign);
      expect({ route: route.name, work: foreign.length > 0 }).toEqual({ route: route.name, work: true });
      expect({ route: route.name, work: await workOf(route, ids.random) }).toEqual({ route: route.name, work: foreign });
      expect({ route: route.name, work: await workOf(route, ids.expired) }).toEqual({ route: route.name, work: foreign });
    }
  });
});
