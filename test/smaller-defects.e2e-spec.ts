import { Stack } from './support/stack';

const API = '/api/orchestrator';

/** Every offline model call takes 300 ms here, so a task with `timeoutMs: 50` always fails. */
const failing = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], timeoutMs: 50, attempts: 1, ...extra });
const fine = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], ...extra });

/** A process log line (pino JSON) of the given message about the given session. */
const processLines = (lines: readonly string[], sessionId: string, msg: string) =>
  lines.filter((line) => line.includes(sessionId) && line.includes(`"msg":"${msg}"`)).map((line) => JSON.parse(line) as { level: number; sessionId: string });

describe('issue 26, the smaller defects', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '300' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const start = async (tasks: unknown[]) => {
    const accepted = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks } });
    expect(accepted.status).toBe(202);
    return accepted.body.sessionId as string;
  };
  const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
  const resolve = (sessionId: string, taskId: string, body: unknown) => stack.request('POST', `${API}/sessions/${sessionId}/tasks/${taskId}/resolve`, body);
  const logs = async (sessionId: string) => (await stack.request('GET', `${API}/sessions/${sessionId}/logs?limit=1000`)).body.entries as any[];

  describe('the agent registry', () => {
    it('names an unknown query parameter of GET /agents as query.foo', async () => {
      const answer = await stack.request('GET', `${API}/agents?foo=1`);
      expect(answer.status).toBe(400);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body.errors).toEqual([{ path: 'query.foo', message: expect.stringContaining('is not a query parameter of this route') }]);
    });

    it("refuses a heartbeat whose currentLoad is above the agent's maxLoad, naming currentLoad", async () => {
      const registered = await stack.request('POST', `${API}/agents`, {
        id: 'loaded-1',
        name: 'loaded',
        type: 'researcher',
        capabilities: ['web_research'],
        kind: 'specialised',
        permission: 'limited',
        maxLoad: 2,
      });
      expect(registered.status).toBe(201);
      const over = await stack.request('POST', `${API}/agents/loaded-1/heartbeat`, { currentLoad: 3 });
      expect(over.status).toBe(400);
      expect(over.body.errors).toEqual([{ path: 'currentLoad', message: expect.stringContaining('maxLoad of 2') }]);
      expect((await stack.request('GET', `${API}/agents/loaded-1`)).body.currentLoad).toBe(0);
      const atMax = await stack.request('POST', `${API}/agents/loaded-1/heartbeat`, { currentLoad: 2 });
      expect(atMax).toMatchObject({ status: 200, body: { currentLoad: 2 } });
      expect((await stack.request('POST', `${API}/agents/nobody-1/heartbeat`, { currentLoad: 3 })).status).toBe(404);
    });

    it('refuses a selection for an unknown capability with a 400 naming it', async () => {
      const answer = await stack.request('POST', `${API}/agents/select`, { capabilities: ['web_research', 'time_travel'] });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ path: 'capabilities[1]', message: expect.stringContaining('unknown capability "time_travel"') }]);
      expect((await stack.request('POST', `${API}/agents/select`, { capabilities: ['web_research'] })).status).toBe(200);
    });
  });

  describe('operator input', () => {
    it("logs the attempt a run is in the session's own count, after a resolve retry too", async () => {
      const sessionId = await start([failing('asks', { onFailure: 'ask', attempts: 2, backoffMs: 0 })]);
      await stack.waitForSession(sessionId, (s) => task(s, 'asks').status === 'paused');
      expect((await resolve(sessionId, 'asks', { action: 'retry' })).status).toBe(200);
      const again = await stack.waitForSession(sessionId, (s) => task(s, 'asks').status === 'paused' && task(s, 'asks').attempts === 3);
      expect(task(again, 'asks').attempts).toBe(3);

      const entries = (await logs(sessionId)).filter((e) => e.taskId === 'asks');
      const attempts = (message: string) => entries.filter((e) => e.message === message).map((e) => e.context.attempt);
      expect(attempts('task started')).toEqual([1, 2, 3]);
      expect([...attempts('task attempt failed; it will be retried'), ...attempts('task failed')]).toEqual([1, 2, 3]);
    });

    it('answers "provide" with the status the task ends in, which the session then shows', async () => {
      const sessionId = await start([failing('asks', { onFailure: 'ask' })]);
      await stack.waitForSession(sessionId, (s) => task(s, 'asks').status === 'paused');
      const answer = await resolve(sessionId, 'asks', { action: 'provide', output: { text: 'by hand' } });
      expect(answer).toMatchObject({ status: 200, body: { action: 'provide', taskStatus: 'completed' } });
      const done = await stack.waitForSession(sessionId);
      expect(task(done, 'asks').status).toBe(answer.body.taskStatus);
    });

    it("removes an aborted approval task's job from its queue's delayed set", async () => {
      const sessionId = await start([{ id: 'gate', kind: 'approval', capabilities: ['code_review'] }]);
      await stack.waitForSession(sessionId, (s) => task(s, 'gate').status === 'paused');
      const delayed = async () => (await stack.redis.zrange(`{${stack.prefix}-0}:code_review:delayed`, '0', '-1')).filter((id) => id.startsWith(sessionId));
      expect(await delayed()).toEqual([`${sessionId}.t.gate`]);

      expect((await resolve(sessionId, 'gate', { action: 'abort' })).body).toMatchObject({ taskStatus: 'failed', sessionStatus: 'failed' });
      expect(await delayed()).toEqual([]);
      expect(await stack.redis.exists(`{${stack.prefix}-0}:code_review:${sessionId}.t.gate`)).toBe(0);
    });

    it("logs a session failed by an operator's abort as a warning, one failed by its task as an error, neither as fatal", async () => {
      const aborted = await start([{ id: 'gate', kind: 'approval', capabilities: ['code_review'] }]);
      await stack.waitForSession(aborted, (s) => task(s, 'gate').status === 'paused');
      expect((await resolve(aborted, 'gate', { action: 'abort' })).status).toBe(200);
      const broken = await start([failing('breaks'), fine('after', { dependsOn: ['breaks'] })]);
      await stack.waitForSession(broken);

      const level = async (sessionId: string) => (await logs(sessionId)).find((e) => e.message === 'session failed')?.level;
      expect([await level(aborted), await level(broken)]).toEqual(['warn', 'error']);
      // pino: 40 warn, 50 error, 60 fatal.
      const lines = [...stack.api.lines, ...stack.workers.flatMap((w) => w.lines)];
      expect(processLines(lines, aborted, 'session failed').map((l) => l.level)).toEqual([40]);
      expect(processLines(lines, broken, 'session failed').map((l) => l.level)).toEqual([50]);
    });
  });

  describe('the OpenAPI document', () => {
    it('lists /metrics once and declares API keys that are not JWTs', async () => {
      const document = (await stack.request('GET', '/docs-json')).body;
      const metrics = Object.keys(document.paths).filter((path) => path === '/metrics' || path.endsWith('/metrics'));
      expect(metrics).toEqual(['/metrics']);
      expect(Object.keys(document.paths['/metrics'])).toEqual(['get']);
      // Swagger UI lists an operation once under each of its tags.
      expect(document.paths['/metrics'].get.tags).toEqual(['metrics']);
      const tags = Object.entries(document.paths).flatMap(([path, byMethod]: [string, any]) =>
        Object.entries(byMethod).map(([method, operation]: [string, any]) => [`${method} ${path}`, operation.tags]),
      );
      expect(tags.filter(([, names]) => names.length !== 1)).toEqual([]);
      for (const scheme of Object.values(document.components.securitySchemes) as any[]) expect(scheme.bearerFormat).toBeUndefined();
    });
  });
});
