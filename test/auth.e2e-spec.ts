import { authHeader, TestKey, TEST_KEYS } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { freePort } from './support/ports';
import { REDIS_URL, Stack } from './support/stack';

const API = '/api/orchestrator';
const approvalPlan = {
  plan: {
    tasks: [
      { id: 'gate', kind: 'approval', capabilities: ['data_analysis'] },
      { id: 'after', capabilities: ['data_analysis'], dependsOn: ['gate'] },
    ],
  },
};

describe('authorisation: API keys, roles and tenants', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_RATE_LIMIT: '0' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const as = (key: TestKey | 'nobody' | 'wrong', method: string, path: string, body?: unknown) =>
    stack.request(
      method,
      path,
      body,
      undefined,
      key === 'nobody' ? { authorization: '' } : key === 'wrong' ? { authorization: 'Bearer sy_not-a-key' } : authHeader(key),
    );

  /** A session of tenant acme paused on its approval gate, fresh for each row that changes it. */
  const pausedSession = async () => {
    const { body } = await as('operator', 'POST', `${API}/orchestrate`, approvalPlan);
    await stack.waitForSession(body.sessionId, (s) => s.status === 'paused');
    return body.sessionId as string;
  };

  // What each role may do; `operator` rows are refused to viewers, `admin` rows to operators too.
  const routes: { name: string; needs: 'viewer' | 'operator' | 'admin'; call: (key: TestKey, id: string) => Promise<{ status: number }> }[] = [
    { name: 'GET templates', needs: 'viewer', call: (k) => as(k, 'GET', `${API}/templates`) },
    { name: 'GET a session', needs: 'viewer', call: (k, id) => as(k, 'GET', `${API}/sessions/${id}`) },
    { name: "GET a session's state", needs: 'viewer', call: (k, id) => as(k, 'GET', `${API}/sessions/${id}/state`) },
    { name: "PATCH a session's context", needs: 'operator', call: (k, id) => as(k, 'PATCH', `${API}/sessions/${id}/context`, { note: 'x' }) },
    {
      name: 'POST orchestrate',
      needs: 'operator',
      call: (k) => as(k, 'POST', `${API}/orchestrate`, { plan: { tasks: [{ id: 'a', capabilities: ['data_analysis'] }] } }),
    },
    { name: 'POST resolve', needs: 'operator', call: (k, id) => as(k, 'POST', `${API}/sessions/${id}/tasks/gate/resolve`, { action: 'skip' }) },
    { name: 'DELETE a session', needs: 'operator', call: (k, id) => as(k, 'DELETE', `${API}/sessions/${id}`) },
    { name: "GET a session's logs", needs: 'viewer', call: (k, id) => as(k, 'GET', `${API}/sessions/${id}/logs`) },
    { name: 'GET agents', needs: 'viewer', call: (k) => as(k, 'GET', `${API}/agents`) },
    { name: 'GET capabilities', needs: 'viewer', call: (k) => as(k, 'GET', `${API}/capabilities`) },
    { name: 'GET stats', needs: 'viewer', call: (k) => as(k, 'GET', `${API}/stats`) },
    {
      name: 'POST an agent',
      needs: 'admin',
      call: (k) =>
        as(k, 'POST', `${API}/agents`, { name: 'external', type: 'external', capabilities: ['web_research'], kind: 'specialised', permission: 'limited' }),
    },
  ];
  const ranks = { viewer: 0, operator: 1, admin: 2 } as const;
  const table = routes.flatMap((route) =>
    (['viewer', 'operator', 'admin'] as const).map((role) => [route.name, role, ranks[role] >= ranks[route.needs] ? 'allowed' : 'refused'] as const),
  );

  it.each(table)('%s as %s: %s', async (name, role, verdict) => {
    const route = routes.find((r) => r.name === name)!;
    const sessionId = await pausedSession();
    const answer = await route.call(role, sessionId);
    if (verdict === 'allowed') expect(answer.status).toBeLessThan(300);
    else expect(answer).toMatchObject({ status: 403, body: { status: 403, detail: expect.stringContaining(`needs the ${route.needs} role`) } });
  });

  it('refuses a request with no key or a wrong one (401), without saying more', async () => {
    for (const key of ['nobody', 'wrong'] as const) {
      const answer = await as(key, 'GET', `${API}/templates`);
      expect(answer.status).toBe(401);
      expect(answer.contentType).toContain('application/problem+json');
    }
    const viaHeader = await stack.request('GET', `${API}/templates`, undefined, undefined, { 'x-api-key': TEST_KEYS.viewer.key });
    expect(viaHeader.status).toBe(200);
    // Probes and the API document need no key.
    expect((await as('nobody', 'GET', `${API}/health/live`)).status).toBe(200);
    expect((await as('nobody', 'GET', '/docs-json')).status).toBe(200);
  });

  it("keeps tenants apart: another tenant's session is a 404 on every route, and untouched", async () => {
    const sessionId = await pausedSession();
    for (const key of ['otherViewer', 'otherOperator'] as const) {
      expect((await as(key, 'GET', `${API}/sessions/${sessionId}`)).status).toBe(404);
      expect((await as(key, 'GET', `${API}/sessions/${sessionId}/events`)).status).toBe(404);
    }
    expect((await as('otherOperator', 'POST', `${API}/sessions/${sessionId}/tasks/gate/resolve`, { action: 'skip' })).status).toBe(404);
    expect((await as('otherViewer', 'GET', `${API}/sessions/${sessionId}/state`)).status).toBe(404);
    expect((await as('otherViewer', 'GET', `${API}/sessions/${sessionId}/logs`)).status).toBe(404);
    expect((await as('otherViewer', 'GET', `${API}/sessions/${sessionId}/logs/stats`)).status).toBe(404);
    expect((await as('otherOperator', 'PATCH', `${API}/sessions/${sessionId}/context`, { note: 'theirs' })).status).toBe(404);
    const cancel = await as('otherOperator', 'DELETE', `${API}/sessions/${sessionId}`);
    expect(cancel).toMatchObject({ status: 404, body: { detail: expect.stringContaining('No session') } });
    // Same answer as for an id that exists nowhere: nothing tells the two apart.
    const nowhere = await as('otherOperator', 'DELETE', `${API}/sessions/0-00000000-0000-4000-8000-000000000000`);
    expect(nowhere.body.title).toBe(cancel.body.title);

    expect((await as('viewer', 'GET', `${API}/sessions/${sessionId}`)).body.status).toBe('paused');
    // The platform's admin sees every tenant's sessions.
    expect((await as('admin', 'GET', `${API}/sessions/${sessionId}`)).status).toBe(200);
  });

  it('scopes Idempotency-Keys per tenant', async () => {
    const body = { plan: { tasks: [{ id: 'a', capabilities: ['data_analysis'] }] } };
    const ours = await stack.request('POST', `${API}/orchestrate`, body, undefined, { ...authHeader('operator'), 'idempotency-key': 'shared-key' });
    const theirs = await stack.request('POST', `${API}/orchestrate`, body, undefined, { ...authHeader('otherOperator'), 'idempotency-key': 'shared-key' });
    expect(ours.status).toBe(202);
    expect(theirs.status).toBe(202);
    expect(theirs.body.sessionId).not.toBe(ours.body.sessionId);
    expect(theirs.body.replayed).toBeUndefined();
  });

  it('lets only admins into Bull Board; a browser gets a Basic-auth prompt', async () => {
    const none = await fetch(`${stack.baseUrl}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Basic');
    const viewer = await fetch(`${stack.baseUrl}/admin/queues`, { headers: authHeader('viewer') });
    expect(viewer.status).toBe(403);
    const basic = Buffer.from(`anyone:${TEST_KEYS.admin.key}`).toString('base64');
    const admin = await fetch(`${stack.baseUrl}/admin/queues/api/queues`, { headers: { authorization: `Basic ${basic}` } });
    expect(admin.status).toBe(200);
  });

  it('runs without keys only when SWITCHYARD_AUTH=off is set, and warns at start', async () => {
    const port = await freePort();
    const open = new AppProcess('api', { REDIS_URL, SWITCHYARD_PREFIX: stack.prefix, PORT: String(port), SWITCHYARD_AUTH: 'off' });
    try {
      const warning = await open.waitForLine((line) => line.includes('SWITCHYARD_AUTH=off: every request acts as an admin'));
      expect(JSON.parse(warning).level).toBe(40);
      await open.waitForLog('api listening');
      const answer = await fetch(`http://127.0.0.1:${port}${API}/templates`);
      expect(answer.status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
