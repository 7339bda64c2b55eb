import { appRoutes } from '@bull-board/api/dist/routes.js';
import { authHeader, TEST_API_KEYS_ENV } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { freePort } from './support/ports';
import { REDIS_URL, Stack } from './support/stack';

const BOARD = '/admin/queues';
const plan = {
  plan: {
    tasks: [
      { id: 'draft', capabilities: ['document_creation'] },
      { id: 'review', capabilities: ['code_review'], dependsOn: ['draft'] },
    ],
  },
};

/** What Switchyard says of a session: its status and finish, and each task's. */
const summary = (session: any) => ({
  status: session.status,
  finishedAt: session.finishedAt,
  tasks: session.tasks.map((t: any) => ({ id: t.id, status: t.status, finishedAt: t.finishedAt })),
});

/** Bodies that each mutating route would accept, so that only the read-only mode can refuse them. */
const BODIES: Record<string, unknown> = {
  '/api/queues/:queueName/:jobId/retry': { queueStatus: 'completed' },
  '/api/queues/:queueName/:jobId/clean': { queueStatus: 'completed' },
  '/api/queues/:queueName/add': { name: 'intruder', data: { type: 'task' } },
  '/api/queues/:queueName/:jobId/update-data': { jobData: { type: 'task', forged: true } },
  '/api/queues/:queueName/:jobId/delay': { delay: 1000 },
  '/api/queues/:queueName/:jobId/priority': { priority: 1 },
  '/api/queues/:queueName/concurrency': { concurrency: 1 },
  '/api/queues/:queueName/rate-limit': { max: 1, duration: 1000 },
  '/api/queues/:queueName/job-schedulers/:schedulerId': { repeat: { every: 1000 } },
};

describe('Bull Board: read-only by default, off or full by SWITCHYARD_BULL_BOARD', () => {
  let stack: Stack;
  let sessionId: string;
  let before: ReturnType<typeof summary>;
  let queueName: string;
  let jobId: string;

  const board = (port: number, method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}${BOARD}${path}`, {
      method,
      headers: { ...authHeader('admin'), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  const boardPort = () => Number(new URL(stack.baseUrl).port);
  const completedJobs = async (port: number) => {
    const answer = await board(port, 'GET', `/api/queues?activeQueue=${encodeURIComponent(queueName)}&status=completed&page=1&jobsPerPage=50`);
    const queues = ((await answer.json()) as any).queues as any[];
    return queues.find((q) => q.name === queueName);
  };

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', plan);
    sessionId = accepted.body.sessionId;
    before = summary(await stack.waitForSession(sessionId));
    expect(before.status).toBe('completed');
    const listing = await board(boardPort(), 'GET', '/api/queues');
    expect(listing.status).toBe(200);
    queueName = (((await listing.json()) as any).queues as any[]).map((q) => q.name).find((name: string) => name.includes('code_review'));
    const queue = await completedJobs(boardPort());
    jobId = queue.jobs[0].id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses every mutating route of Bull Board by default, and the finished session stays as it was', async () => {
    // The route table of the installed @bull-board/api: every route that is not a read.
    const mutating = appRoutes.api
      .flatMap((route) => [route.method].flat().flatMap((method) => [route.route].flat().map((path) => ({ method: method.toUpperCase(), path }))))
      .filter((route) => route.method !== 'GET');
    expect(mutating.length).toBeGreaterThanOrEqual(20);
    const answers: Record<string, number> = {};
    for (const route of mutating) {
      const path = route.path
        .replace(':queueName', encodeURIComponent(queueName))
        .replace(':jobId', encodeURIComponent(jobId))
        .replace(':queueStatus', 'completed')
        .replace(':schedulerId', 'any');
      const answer = await board(boardPort(), route.method, path, BODIES[route.path] ?? {});
      answers[`${route.method} ${route.path}`] = answer.status;
    }
    expect(Object.entries(answers).filter(([, status]) => status !== 405)).toEqual([]);

    // Whatever the board would have started has had time to run.
    await new Promise((r) => setTimeout(r, 1500));
    expect(summary((await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body)).toEqual(before);
    const queue = await completedJobs(boardPort());
    expect(queue.readOnlyMode).toBe(true);
    expect(queue.isPaused).toBe(false);
    expect(queue.jobs.map((j: any) => j.id)).toContain(jobId);
  });

  const otherApi = async (mode: string) => {
    const port = await freePort();
    const api = new AppProcess('api', {
      REDIS_URL,
      SWITCHYARD_PREFIX: stack.prefix,
      PORT: String(port),
      SWITCHYARD_API_KEYS: TEST_API_KEYS_ENV,
      SWITCHYARD_BULL_BOARD: mode,
    });
    await api.waitForLog('api listening');
    return { api, port };
  };

  it('mounts nothing with SWITCHYARD_BULL_BOARD=off', async () => {
    const { api, port } = await otherApi('off');
    try {
      expect((await board(port, 'GET', '')).status).toBe(404);
      expect((await board(port, 'GET', '/api/queues')).status).toBe(404);
    } finally {
      await api.stop();
    }
  });

  it('lets admins change queues with SWITCHYARD_BULL_BOARD=full', async () => {
    const { api, port } = await otherApi('full');
    try {
      expect((await board(port, 'PUT', `/api/queues/${encodeURIComponent(queueName)}/pause`, {})).status).toBeLessThan(300);
      expect((await completedJobs(port)).isPaused).toBe(true);
      expect((await board(port, 'PUT', `/api/queues/${encodeURIComponent(queueName)}/resume`, {})).status).toBeLessThan(300);
      expect((await completedJobs(port)).readOnlyMode).toBe(false);
    } finally {
      await api.stop();
    }
  });
});
