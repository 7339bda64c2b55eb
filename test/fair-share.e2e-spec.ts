import { authHeader, TestKey } from './support/api-keys';
import { Stack } from './support/stack';

const API = '/api/orchestrator';
/** How long each built-in researcher's (offline) task takes; it runs 4 at once. */
const TASK_MS = '50';

interface TaskView {
  readonly id: string;
  readonly status: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly attempts: number;
  readonly worker?: { readonly pid: number };
}

/** A plan of `count` independent web_research tasks. */
const flood = (count: number, prefix: string) => ({
  tasks: Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, capabilities: ['web_research'] })),
});

async function orchestrate(stack: Stack, as: TestKey, plan: unknown): Promise<string> {
  const answer = await stack.request('POST', `${API}/orchestrate`, { plan }, undefined, authHeader(as));
  expect(answer.status).toBe(202);
  return answer.body.sessionId as string;
}

async function finishedTasks(stack: Stack, sessionId: string, as: TestKey, timeoutMs = 60_000): Promise<TaskView[]> {
  const session = await stack.waitForSession(sessionId, undefined, timeoutMs);
  expect(session.status).toBe('completed');
  const view = await stack.request('GET', `${API}/sessions/${sessionId}`, undefined, undefined, authHeader(as));
  return view.body.tasks as TaskView[];
}

/** The most of `tasks` that ran at once (a run is [startedAt, finishedAt]; one ending as another starts does not overlap it). */
function mostAtOnce(tasks: readonly TaskView[]): number {
  const edges = tasks.flatMap((t) => [
    { at: Date.parse(t.startedAt!), step: 1 },
    { at: Date.parse(t.finishedAt!), step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (running += edge.step));
  return most;
}

describe('fair share between tenants', () => {
  describe.each([
    { shards: 1, sessions: 1 },
    // A tenant's sessions sit in several shards: the turns come from one clock all the same.
    { shards: 2, sessions: 4 },
  ])('a tenant floods a capability queue ($shards shard(s), the flood in $sessions session(s))', ({ shards, sessions }) => {
    let stack: Stack;
    const FLOOD = 400;

    beforeAll(async () => {
      stack = await Stack.start({
        workers: 1,
        env: { SWITCHYARD_RATE_LIMIT: '0', SWITCHYARD_OFFLINE_LATENCY_MS: TASK_MS, SWITCHYARD_SHARDS: String(shards) },
      });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it("another tenant's new one-task sessions start within 1.5 s (p99) while the flood drains", async () => {
      const floodStart = Date.now();
      const acme: string[] = [];
      for (let i = 0; i < sessions; i++) acme.push(await orchestrate(stack, 'operator', flood(FLOOD / sessions, `s${i}a`)));
      // The flood is running before globex arrives.
      await stack.waitForSession(acme[0], (s) => s.status === 'running', 10_000);
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) {
        const submitted = Date.now();
        const globex = await orchestrate(stack, 'otherOperator', { tasks: [{ id: 'g', capabilities: ['web_research'] }] });
        const [task] = await finishedTasks(stack, globex, 'otherOperator', 15_000);
        waits.push(Date.parse(task.startedAt!) - submitted);
      }
      // acme's flood was still draining when globex's last task had run.
      const statuses = await Promise.all(
        acme.map(async (id) => (await stack.request('GET', `${API}/sessions/${id}`, undefined, undefined, authHeader('operator'))).body.status),
      );
      expect(statuses).toContain('running');
      let drained = 0;
      for (const id of acme) drained += (await finishedTasks(stack, id, 'operator')).length;
      expect(drained).toBe(FLOOD);
      console.log(`fair share (${shards} shard(s)): globex waits ${waits.join(', ')} ms; acme's ${FLOOD} tasks drained in ${Date.now() - floodStart} ms`);
      expect(Math.max(...waits)).toBeLessThanOrEqual(1500);
    }, 90_000);

    it("the flooding tenant's later urgent task starts within a couple of task durations, ahead of its flood, while another tenant still gets its turn", async () => {
      const acme: string[] = [];
      for (let i = 0; i < sessions; i++) acme.push(await orchestrate(stack, 'operator', flood(FLOOD / sessions, `u${i}a`)));
      await stack.waitForSession(acme[0], (s) => s.status === 'running', 10_000);
      // A later submission of the same tenant, more urgent than its flood (the plan's priority: higher first).
      const submitted = Date.now();
      const [urgentId, globexId] = await Promise.all([
        orchestrate(stack, 'operator', { tasks: [{ id: 'u', capabilities: ['web_research'], priority: 10 }] }),
        orchestrate(stack, 'otherOperator', { tasks: [{ id: 'g', capabilities: ['web_research'] }] }),
      ]);
      const [urgent] = await finishedTasks(stack, urgentId, 'operator', 15_000);
      const [globex] = await finishedTasks(stack, globexId, 'otherOperator', 15_000);
      const urgentStart = Date.parse(urgent.startedAt!);
      const floodTasks: TaskView[] = [];
      for (const id of acme) floodTasks.push(...(await finishedTasks(stack, id, 'operator')));
      const behind = floodTasks.filter((t) => Date.parse(t.startedAt!) > urgentStart).length;
      const waits = { urgent: urgentStart - submitted, globex: Date.parse(globex.startedAt!) - submitted };
      console.log(
        `fair share (${shards} shard(s)): acme's urgent task waited ${waits.urgent} ms, ahead of ${behind} of its ${FLOOD} flood tasks; globex's ${waits.globex} ms`,
      );
      // Not behind the flood: most of it started after the urgent task.
      expect(behind).toBeGreaterThan(FLOOD / 2);
      expect(waits.urgent).toBeLessThanOrEqual(250);
      expect(waits.globex).toBeLessThanOrEqual(1500);
    }, 90_000);
  });

  describe('weights and the running cap', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await Stack.start({
        workers: 1,
        env: {
          SWITCHYARD_RATE_LIMIT: '0',
          SWITCHYARD_OFFLINE_LATENCY_MS: TASK_MS,
          SWITCHYARD_TENANT_WEIGHTS: '{"acme":3}',
        },
      });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('3:1 weights give about 3:1 shares of a saturated queue (within 15%)', async () => {
      const [acme, globex] = await Promise.all([orchestrate(stack, 'operator', flood(160, 'a')), orchestrate(stack, 'otherOperator', flood(160, 'g'))]);
      const starts = [
        ...(await finishedTasks(stack, acme, 'operator')).map((t) => ({ tenant: 'acme', at: Date.parse(t.startedAt!) })),
        ...(await finishedTasks(stack, globex, 'otherOperator')).map((t) => ({ tenant: 'globex', at: Date.parse(t.startedAt!) })),
      ].sort((a, b) => a.at - b.at);
      // The first 120 starts: both tenants still had waiting tasks all along (acme 160 × 3/4 > 120).
      const first = starts.slice(0, 120);
      const acmeShare = first.filter((s) => s.tenant === 'acme').length;
      const ratio = acmeShare / (first.length - acmeShare);
      console.log(`fair share: 3:1 weights gave acme ${acmeShare} of the first 120 starts (ratio ${ratio.toFixed(2)})`);
      expect(ratio).toBeGreaterThanOrEqual(3 * 0.85);
      expect(ratio).toBeLessThanOrEqual(3 * 1.15);
    }, 90_000);

    it('SWITCHYARD_TENANT_MAX_RUNNING caps one tenant’s running tasks across workers; the other tenant uses the free slots', async () => {
      // Two more workers with the cap: three workers × 4 researchers, at most 2 acme tasks at once.
      await Promise.all([stack.addWorker({ SWITCHYARD_TENANT_MAX_RUNNING: '2' }), stack.addWorker({ SWITCHYARD_TENANT_MAX_RUNNING: '2' })]);
      await stack.workers[0].stop();
      const [acme, globex] = await Promise.all([orchestrate(stack, 'operator', flood(30, 'a')), orchestrate(stack, 'otherOperator', flood(30, 'g'))]);
      const acmeTasks = await finishedTasks(stack, acme, 'operator');
      const globexTasks = await finishedTasks(stack, globex, 'otherOperator');
      expect(mostAtOnce(acmeTasks)).toBeLessThanOrEqual(2);
      expect(mostAtOnce(globexTasks)).toBeLessThanOrEqual(2);
      // Both ran side by side: the cap holds one tenant back, not the deployment.
      expect(mostAtOnce([...acmeTasks, ...globexTasks])).toBeGreaterThan(2);
    }, 90_000);
  });

  describe('a worker dies holding its tenant’s slots', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await Stack.start({ workers: 0, env: { SWITCHYARD_LOCK_DURATION_MS: '1000', SWITCHYARD_TENANT_MAX_RUNNING: '2' } });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('its holds lapse: the tasks run again elsewhere and the tenant’s other tasks follow, still two at a time', async () => {
      const doomed = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '60000' });
      const sessionId = await orchestrate(stack, 'operator', flood(6, 'a'));
      await stack.waitForSession(sessionId, (s) => s.tasks.filter((t: TaskView) => t.status === 'running').length === 2, 15_000);
      await doomed.stop('SIGKILL');
      const survivor = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: TASK_MS });
      const tasks = await finishedTasks(stack, sessionId, 'operator', 30_000);
      expect(tasks.map((t) => t.status)).toEqual(new Array(6).fill('completed'));
      expect(tasks.filter((t) => t.attempts === 2)).toHaveLength(2);
      expect(mostAtOnce(tasks)).toBeLessThanOrEqual(2);
      expect(tasks.every((t) => t.worker?.pid === survivor.pid)).toBe(true);
    }, 60_000);
  });
});
