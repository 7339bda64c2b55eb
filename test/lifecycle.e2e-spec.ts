import { authHeader, TEST_API_KEYS_ENV } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { REDIS_URL, Stack } from './support/stack';

describe('process lifecycle', () => {
  describe('configuration', () => {
    it.each([
      ['api', { PORT: 'abc' }, 'PORT must be a whole number'],
      ['worker', { REDIS_URL: 'http://localhost' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
      ['worker', { SWITCHYARD_PREFIX: 'bad prefix!' }, 'SWITCHYARD_PREFIX must be 1 to 40 letters'],
      ['api', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
      ['api', { SWITCHYARD_API_KEYS: 'ops:operator:acme' }, 'SWITCHYARD_API_KEYS: entry 1 must be id:role:tenant:sha256'],
      ['api', { PORT: '0' }, 'SWITCHYARD_AUTH is on but SWITCHYARD_API_KEYS holds no key'],
    ] as const)('%s refuses to start with %j, naming the variable', async (app, env, message) => {
      const process = new AppProcess(app, { REDIS_URL, ...env });
      const line = await process.waitForLine((l) => l.startsWith(`switchyard ${app}: cannot start`), 20_000);
      expect(line).toContain(message);
      expect(await process.waitForExit()).toBe(1);
      expect(process.lines.filter((l) => l.trim() !== '')).toEqual([line]);
    });

    it('says in one line that Redis does not answer, and exits 1', async () => {
      const process = new AppProcess('api', { REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', SWITCHYARD_API_KEYS: TEST_API_KEYS_ENV });
      const line = await process.waitForLine((l) => l.startsWith('switchyard api: cannot start'), 20_000);
      expect(line).toContain('Redis at redis://127.0.0.1:1 does not answer');
      expect(await process.waitForExit()).toBe(1);
      expect(process.lines.filter((l) => l.trim() !== '')).toEqual([line]);
    });
  });

  describe('SIGTERM while a task runs', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await Stack.start({ workers: 0 });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('finishes the running task, exits 0, and the session goes on with the next worker', async () => {
      const slowWorker = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '1500' });
      const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
        plan: {
          tasks: [
            { id: 'slow', capabilities: ['web_research'] },
            { id: 'after', capabilities: ['document_creation'], dependsOn: ['slow'] },
          ],
        },
      });
      const sessionId = accepted.body.sessionId;
      await stack.waitForSession(sessionId, (s) => s.tasks[0].status === 'running');

      expect(await slowWorker.stop('SIGTERM')).toBe(0);
      const midway = await stack.waitForSession(sessionId, () => true);
      expect(midway.tasks[0]).toMatchObject({ status: 'completed', worker: { pid: slowWorker.pid }, attempts: 1 });
      expect(midway.status).toBe('running');

      const nextWorker = await stack.addWorker();
      const done = await stack.waitForSession(sessionId);
      expect(done.status).toBe('completed');
      expect(done.tasks[1]).toMatchObject({ status: 'completed', worker: { pid: nextWorker.pid } });
    });
  });

  describe('a task that keeps failing', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '300' } });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('is retried with backoff, then fails the session and cancels what had not started', async () => {
      const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
        plan: {
          tasks: [
            { id: 'fine', capabilities: ['web_research'] },
            { id: 'hasty', capabilities: ['web_research'], timeoutMs: 50, attempts: 2, backoffMs: 100 },
            { id: 'after', capabilities: ['document_creation'], dependsOn: ['hasty', 'fine'] },
          ],
        },
      });
      // The session turns failed first; its idle tasks are cancelled right after.
      const session = await stack.waitForSession(
        accepted.body.sessionId,
        (s) => s.status === 'failed' && s.tasks.every((t: any) => !['waiting', 'ready'].includes(t.status)),
      );
      expect(session.error).toMatchObject({ taskId: 'hasty', name: 'TaskTimeoutError' });
      expect(session.error.message).toContain('Task "hasty" failed: Task "hasty" did not finish within its timeout of 50 ms');
      const byId = Object.fromEntries(session.tasks.map((t: any) => [t.id, t]));
      expect(byId.hasty).toMatchObject({ status: 'failed', attempts: 2, error: { name: 'TaskTimeoutError' } });
      expect(byId.after.status).toBe('cancelled');
      expect(byId.after.startedAt).toBeUndefined();
      expect(session.result).toBeUndefined();
    });
  });

  describe('SIGKILL while a task runs', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await Stack.start({ workers: 0, env: { SWITCHYARD_LOCK_DURATION_MS: '2000' } });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('loses nothing: the task runs again on another worker and the session finishes', async () => {
      const doomed = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '60000' });
      const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
        plan: {
          tasks: [
            { id: 'interrupted', capabilities: ['web_research'] },
            { id: 'after', capabilities: ['document_creation'], dependsOn: ['interrupted'] },
          ],
        },
      });
      const sessionId = accepted.body.sessionId;
      await stack.waitForSession(sessionId, (s) => s.tasks[0].status === 'running');
      await doomed.stop('SIGKILL');

      const survivor = await stack.addWorker();
      const done = await stack.waitForSession(sessionId, undefined, 60_000);
      expect(done.status).toBe('completed');
      expect(done.tasks[0]).toMatchObject({ status: 'completed', attempts: 2, worker: { pid: survivor.pid } });
      expect(done.tasks[1]).toMatchObject({ status: 'completed', attempts: 1, worker: { pid: survivor.pid } });

      // The survivor's stalled-job check found it: a system entry in the session's log and a count
      // in /metrics (both sent by the survivor's batched writes, so polled for a bounded while).
      let stalled: any[] = [];
      for (const deadline = Date.now() + 10_000; stalled.length === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        stalled = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?source=system`)).body.entries;
      }
      expect(stalled).toEqual([expect.objectContaining({ level: 'warn', taskId: 'interrupted', worker: { host: expect.any(String), pid: survivor.pid } })]);
      const metrics = await (await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader() })).text();
      expect(metrics).toContain('switchyard_jobs_stalled_total{queue="web_research"} 1');
    });
  });
});
