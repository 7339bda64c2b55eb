import { authHeader } from './support/api-keys';
import { TEST_AGENTS_WORKER, testAgentsWorkerEnv } from './support/agents';
import { sample } from './support/prometheus';
import { Stack } from './support/stack';
import { until } from './support/until';

const PRICES = JSON.stringify({ 'm-priced': { prompt: 1, completion: 2 } });

const spend = (id: string, calls: { model: string; promptTokens: number; completionTokens: number }[], extra: Record<string, unknown> = {}) => ({
  id,
  capabilities: ['spend_tokens'],
  input: { calls, holdMs: 0 },
  ...extra,
});

/**
 * Model usage (`context.recordUsage`) summed on tasks, sessions, /stats and /metrics, and budgets
 * (`budget` of orchestrate) checked with task starts and model usage: two workers (real processes
 * hosting the test agents) race for the tasks.
 */
describe('usage and budgets', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
    const env = testAgentsWorkerEnv({ SWITCHYARD_MODEL_PRICES: PRICES });
    await Promise.all([stack.addWorker(env, 'worker', TEST_AGENTS_WORKER), stack.addWorker(env, 'worker', TEST_AGENTS_WORKER)]);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const orchestrate = async (body: unknown) => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', body);
    expect(accepted.status).toBe(202);
    return accepted.body.sessionId as string;
  };

  it("sums each task's model calls into its usage and the session's, priced by SWITCHYARD_MODEL_PRICES, and shows them in /stats and /metrics", async () => {
    const priced = { model: 'm-priced', promptTokens: 100, completionTokens: 50 };
    const free = { model: 'm-free', promptTokens: 10, completionTokens: 5 };
    const sessionId = await orchestrate({ plan: { tasks: [spend('a', [priced, priced, priced]), spend('b', [free, free], { dependsOn: ['a'] })] } });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const usage = (id: string) => session.tasks.find((t: any) => t.id === id).usage;
    expect(usage('a')).toEqual({ promptTokens: 300, completionTokens: 150, totalTokens: 450, calls: 3, costUsd: 0.0006 });
    expect(usage('b')).toEqual({ promptTokens: 20, completionTokens: 10, totalTokens: 30, calls: 2, costUsd: 0 });
    expect(session.usage).toEqual({ promptTokens: 320, completionTokens: 160, totalTokens: 480, calls: 5, costUsd: 0.0006 });

    const stats = await until('usage in /stats', async () => {
      const answer = await stack.request('GET', '/api/orchestrator/stats');
      return answer.body.usage?.byModel?.['m-free'] ? answer.body.usage : undefined;
    });
    expect(stats.byModel['m-priced']).toEqual({ promptTokens: 300, completionTokens: 150, totalTokens: 450, costUsd: 0.0006 });
    expect(stats.byModel['m-free']).toEqual({ promptTokens: 20, completionTokens: 10, totalTokens: 30, costUsd: 0 });
    expect(stats.byTenant.acme).toMatchObject({ totalTokens: 480, costUsd: 0.0006 });
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader('viewer') })).text();
    expect(sample(metrics, 'switchyard_model_tokens_total', { model: 'm-priced', kind: 'prompt', tenant: 'acme' })).toBe(300);
    expect(sample(metrics, 'switchyard_model_tokens_total', { model: 'm-priced', kind: 'completion', tenant: 'acme' })).toBe(150);
    expect(sample(metrics, 'switchyard_model_cost_usd_total', { model: 'm-priced', tenant: 'acme' })).toBeCloseTo(0.0006, 9);
  });

  it('stops a chain at its tokens budget: the running task is aborted, nothing starts past it, the session fails with budget_exceeded', async () => {
    const call = [{ model: 'm-priced', promptTokens: 500, completionTokens: 100 }];
    const sessionId = await orchestrate({
      plan: {
        tasks: [
          spend('one', call),
          { ...spend('two', call), input: { calls: call, holdMs: 20_000 }, dependsOn: ['one'] },
          spend('three', call, { dependsOn: ['two'] }),
        ],
      },
      budget: { tokens: 1000 },
    });
    // The session fails first; its worker then aborts the running task, long before its 20 s hold.
    const settled = (s: any) => s.status !== 'running' && s.status !== 'pending' && s.tasks.every((t: any) => t.status !== 'running');
    const session = await stack.waitForSession(sessionId, settled, 15_000);
    expect(session.status).toBe('failed');
    expect(session.error).toMatchObject({ code: 'budget_exceeded', limit: 'tokens', used: 1200, budget: { tokens: 1000 } });
    const task = (id: string) => session.tasks.find((t: any) => t.id === id);
    expect(task('one').status).toBe('completed');
    expect(task('two').status).toBe('cancelled');
    expect(task('three').status).toBe('cancelled');
    expect(task('three').startedAt).toBeUndefined();
    expect(session.usage.totalTokens).toBe(1200);
    expect(session.budget).toEqual({ tokens: 1000 });
  });

  it('never starts more tasks than its tasks budget, with two workers racing for them', async () => {
    const tasks = Array.from({ length: 10 }, (_, i) => ({ ...spend(`t${i}`, []), input: { calls: [], holdMs: 300 } }));
    const sessionId = await orchestrate({ plan: { tasks }, budget: { tasks: 3 } });
    const session = await stack.waitForSession(sessionId, undefined, 15_000);
    expect(session.status).toBe('failed');
    expect(session.error).toMatchObject({ code: 'budget_exceeded', limit: 'tasks', used: 3, budget: { tasks: 3 } });
    expect(session.tasks.filter((t: any) => t.startedAt !== undefined)).toHaveLength(3);
    expect(session.tasks.filter((t: any) => t.attempts > 0)).toHaveLength(3);
  });

  it('aborts a running task when the session passes its wallMs', async () => {
    const sessionId = await orchestrate({ plan: { tasks: [{ ...spend('slow', []), input: { calls: [], holdMs: 20_000 } }] }, budget: { wallMs: 1500 } });
    const began = Date.now();
    const session = await stack.waitForSession(sessionId, (s) => s.status === 'failed' && s.tasks[0].status !== 'running', 15_000);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(session.status).toBe('failed');
    expect(session.error).toMatchObject({ code: 'budget_exceeded', limit: 'wallMs', budget: { wallMs: 1500 } });
    expect(session.error.used).toBeGreaterThan(1500);
    expect(session.tasks[0].status).toBe('cancelled');
  });

  it.each([
    [{ tokens: -1 }, 'budget.tokens', 'must be more than 0'],
    [{ costUsd: 'a lot' }, 'budget.costUsd', 'must be a number'],
    [{ tasks: 2.5 }, 'budget.tasks', 'must be a whole number'],
    [{ wallMs: 0 }, 'budget.wallMs', 'must be more than 0'],
    [{ hours: 1 }, 'budget', 'hours'],
  ])('refuses the budget %j with a 400 naming %s', async (budget, path, message) => {
    const answer = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [spend('a', [])] }, budget });
    expect(answer.status).toBe(400);
    const issue = answer.body.errors.find((e: any) => e.path === path || e.path?.startsWith(path));
    expect(issue).toBeDefined();
    expect(JSON.stringify(answer.body)).toContain(message);
  });
});
