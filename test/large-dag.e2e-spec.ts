import { seededRandom } from './support/seeded-random';
import { Stack } from './support/stack';

const CAPABILITIES = ['web_research', 'code_generation', 'code_review', 'data_analysis', 'document_creation'];

/**
 * 1,000 tasks: 100 top-level tasks each with 9 children, and every task depending on up to 3
 * random tasks of earlier groups (so edges cross branches and no cycle can form).
 */
function bigPlan(seed: number) {
  const next = seededRandom(seed);
  const ids = (group: number) => [`g${group}`, ...Array.from({ length: 9 }, (_, c) => `g${group}-c${c}`)];
  const depsFor = (group: number) => {
    if (group === 0) return undefined;
    const deps = new Set<string>();
    const count = Math.floor(next() * 4);
    for (let i = 0; i < count; i++) {
      const earlier = Math.floor(next() * group);
      const candidates = ids(earlier);
      deps.add(candidates[Math.floor(next() * candidates.length)]);
    }
    return deps.size ? [...deps] : undefined;
  };
  const capability = () => [CAPABILITIES[Math.floor(next() * CAPABILITIES.length)]];
  return {
    tasks: Array.from({ length: 100 }, (_, g) => ({
      id: `g${g}`,
      capabilities: capability(),
      dependsOn: depsFor(g),
      children: Array.from({ length: 9 }, (_, c) => ({ id: `g${g}-c${c}`, capabilities: capability(), dependsOn: depsFor(g) })),
    })),
  };
}

describe('a 1,000-task DAG over two worker processes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 2 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs every task exactly once, each after all its dependencies and children', async () => {
    const plan = bigPlan(20261125);
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId, undefined, 90_000);
    expect(session.status).toBe('completed');
    expect(session.tasks).toHaveLength(1000);

    const byId = new Map<string, any>(session.tasks.map((t: any) => [t.id, t]));
    const pids = new Set<number>();
    for (const task of session.tasks) {
      expect(task.status).toBe('completed');
      expect(task.attempts).toBe(1);
      pids.add(task.worker.pid);
      const children = session.tasks.filter((t: any) => t.parentId === task.id).map((t: any) => t.id);
      for (const before of [...task.dependsOn, ...children]) {
        expect(Date.parse(task.startedAt)).toBeGreaterThanOrEqual(Date.parse(byId.get(before).finishedAt));
      }
    }
    expect([...pids].sort()).toEqual(stack.workers.map((w) => w.pid).sort());

    // Exactly once, by the workers' own logs: one "task started" line per task across both.
    // Log lines travel through pipes and may arrive after the session completed: wait for them.
    const startedLines = () =>
      stack.workers
        .flatMap((w) => w.lines)
        .filter((line) => line.includes('"msg":"task started"') && line.includes(accepted.body.sessionId))
        .map((line) => JSON.parse(line).taskId as string);
    for (const deadline = Date.now() + 10_000; startedLines().length < 1000 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = startedLines();
    expect(started).toHaveLength(1000);
    expect(new Set(started).size).toBe(1000);
    // Nothing was lost, so nothing was recorded from a job in a write-back's place: a held task
    // that did so for a dependency whose write-back was merely late stamped it finished twice.
    const recovered = stack.workers.flatMap((w) => w.lines).filter((line) => line.includes('write-back was lost') && line.includes(accepted.body.sessionId));
    expect(recovered).toEqual([]);
  });
});
