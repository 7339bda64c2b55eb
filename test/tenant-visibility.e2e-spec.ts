import { authHeader, TestKey } from './support/api-keys';
import { sample } from './support/prometheus';
import { Stack } from './support/stack';

const API = '/api/orchestrator';
const TASK_METRICS = [
  'switchyard_tasks_started_total',
  'switchyard_tasks_completed_total',
  'switchyard_task_duration_seconds_count',
  'switchyard_dispatch_latency_seconds_count',
];

describe('what tenants see of each other: metrics, stats, agents, health', () => {
  let stack: Stack;

  const as = (key: TestKey | 'nobody', method: string, path: string, body?: unknown) =>
    stack.request(method, path, body, undefined, key === 'nobody' ? { authorization: '' } : authHeader(key));
  const scrape = async (key: TestKey) => {
    const response = await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader(key), signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    // acme runs three tasks (two data_analysis, one pattern_recognition), globex one (web_research).
    const acme = await as('operator', 'POST', `${API}/orchestrate`, {
      plan: {
        tasks: [
          { id: 'a', capabilities: ['data_analysis'] },
          { id: 'b', capabilities: ['data_analysis'], dependsOn: ['a'] },
          { id: 'c', capabilities: ['pattern_recognition'] },
        ],
      },
    });
    const globex = await as('otherOperator', 'POST', `${API}/orchestrate`, { plan: { tasks: [{ id: 'w', capabilities: ['web_research'] }] } });
    expect([acme.status, globex.status]).toEqual([202, 202]);
    expect((await stack.waitForSession(acme.body.sessionId)).status).toBe('completed');
    expect((await stack.waitForSession(globex.body.sessionId)).status).toBe('completed');
    // Metric increments are batched by each process: wait (bounded) until the four runs are counted.
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (sample(await scrape('admin'), 'switchyard_tasks_completed_total') >= 4) break;
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("/metrics: a viewer of globex sees only globex's task figures, none of acme's, and no queue figures", async () => {
    const text = await scrape('otherViewer');
    for (const name of TASK_METRICS) {
      expect([name, sample(text, name)]).toEqual([name, 1]);
      expect([name, sample(text, name, { capability: 'data_analysis' }) + sample(text, name, { capability: 'pattern_recognition' })]).toEqual([name, 0]);
    }
    expect(sample(text, 'switchyard_tasks_started_total', { tenant: 'globex', capability: 'web_research' })).toBe(1);
    expect(text).not.toContain('tenant="acme"');
    expect(text.split('\n').filter((line) => /^switchyard_(queue_|jobs_stalled|lock_)/.test(line))).toEqual([]);
  });

  it("/metrics: a viewer of acme sees acme's own figures; an admin sees every tenant's and the queues", async () => {
    const own = await scrape('viewer');
    expect(sample(own, 'switchyard_tasks_started_total', { tenant: 'acme', capability: 'data_analysis' })).toBe(2);
    expect(sample(own, 'switchyard_tasks_started_total', { tenant: 'acme', capability: 'pattern_recognition' })).toBe(1);
    expect(sample(own, 'switchyard_task_duration_seconds_count', { tenant: 'acme' })).toBe(3);
    expect(sample(own, 'switchyard_tasks_started_total')).toBe(3);
    expect(own).not.toContain('tenant="globex"');

    const all = await scrape('admin');
    expect(sample(all, 'switchyard_tasks_started_total', { tenant: 'acme' })).toBe(3);
    expect(sample(all, 'switchyard_tasks_started_total', { tenant: 'globex' })).toBe(1);
    expect(sample(all, 'switchyard_queue_workers', { queue: 'data_analysis' })).toBe(1);
  });

  it("/stats: each tenant's viewer gets its own tasks without the deployment's queues, locks and stalls; an admin gets all", async () => {
    const globex = (await as('otherViewer', 'GET', `${API}/stats`)).body;
    expect(globex.tenant).toBe('globex');
    expect(globex.tasks).toMatchObject({ started: 1, completed: 1 });
    expect(Object.keys(globex.tasks.byCapability)).toEqual(['web_research']);
    expect(globex.tasks.durationSeconds.count).toBe(1);
    expect([globex.queues, globex.jobsStalled, globex.locks]).toEqual([undefined, undefined, undefined]);

    const acme = (await as('viewer', 'GET', `${API}/stats`)).body;
    expect(acme.tenant).toBe('acme');
    expect(acme.tasks).toMatchObject({ started: 3, completed: 3 });
    expect(acme.tasks.byCapability.data_analysis).toMatchObject({ started: 2, completed: 2 });
    expect(acme.tasks.byCapability.web_research).toBeUndefined();

    const admin = (await as('admin', 'GET', `${API}/stats`)).body;
    expect(admin.tenant).toBeUndefined();
    expect(admin.tasks).toMatchObject({ started: 4, completed: 4 });
    expect(admin.queues.find((q: any) => q.queue === 'data_analysis')).toMatchObject({ workers: 1 });
  });

  it("agents: keys below admin see agents without their load (every tenant's work); the selection dry run is for admins", async () => {
    const listed = (await as('otherViewer', 'GET', `${API}/agents`)).body as any[];
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((agent) => 'currentLoad' in agent)).toEqual([]);
    expect(listed[0]).toMatchObject({ id: expect.any(String), capabilities: expect.any(Array), status: 'active' });
    const one = (await as('viewer', 'GET', `${API}/agents/${encodeURIComponent(listed[0].id)}`)).body;
    expect(one.id).toBe(listed[0].id);
    expect(one).not.toHaveProperty('currentLoad');
    expect((await as('otherViewer', 'POST', `${API}/agents/select`, { capabilities: ['data_analysis'] })).status).toBe(403);

    const admin = (await as('admin', 'GET', `${API}/agents`)).body as any[];
    expect(admin.every((agent) => typeof agent.currentLoad === 'number')).toBe(true);
    expect((await as('admin', 'POST', `${API}/agents/select`, { capabilities: ['data_analysis'] })).status).toBe(200);
  });

  it('health: without a key only up or down; a viewer gets the checks without the queues; an admin the queues too', async () => {
    const anyone = await as('nobody', 'GET', `${API}/health`);
    expect(anyone.status).toBe(200);
    expect(anyone.body).toEqual({
      status: 'ok',
      info: { redis: { status: 'up' }, workers: { status: 'up' }, agents: { status: 'up' } },
      error: {},
      details: { redis: { status: 'up' }, workers: { status: 'up' }, agents: { status: 'up' } },
    });

    const viewer = (await as('otherViewer', 'GET', `${API}/health`)).body;
    expect(viewer.info.redis.latencyMs).toEqual(expect.any(Number));
    expect(JSON.stringify(viewer)).not.toContain('queues');

    const admin = (await as('admin', 'GET', `${API}/health`)).body;
    expect(admin.info.workers.queues.find((q: any) => q.queue === 'data_analysis')).toMatchObject({ workers: 1 });

    expect((await as('nobody', 'GET', `${API}/health/live`)).body).toEqual({ status: 'ok' });
    expect((await as('nobody', 'GET', `${API}/health/ready`)).body).toEqual({
      status: 'ok',
      info: { redis: { status: 'up' } },
      error: {},
      details: { redis: { status: 'up' } },
    });
  });
});
