import { PlanForest } from '@switchyard/orchestration/plans/testing/plan-forest';
import { runOrderViolations } from './support/run-order';
import { seededRandom } from './support/seeded-random';
import { Stack } from './support/stack';

interface PlanTask {
  id: string;
  capabilities: string[];
  input: Record<string, unknown>;
  attempts?: number;
  backoffMs?: number;
  dependsOn?: string[];
  children?: PlanTask[];
}

/**
 * A small random plan of quick data_analysis tasks (each describes a fixed table, so outputs stay
 * small) that can run (see PlanForest), where each inner task depends on a task outside its
 * subtree. What inner tasks depend on is slow (its first run fails, the retry comes `slowMs`
 * later), so a child that did not wait for its parent's dependencies would start well before
 * they finish.
 */
function randomPlan(seed: number, slowMs: number): { tasks: PlanTask[] } {
  const next = seededRandom(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const forest = PlanForest.random(6 + pick(4), (_i, n) => pick(n));
  const deps = forest.parent.map(() => new Set<number>());
  const slow = new Set<number>();
  forest.children.forEach((kids, i) => {
    const options = forest.passableDependencies(i);
    if (options.length === 0) return;
    if (kids.length > 0) {
      const dep = options[pick(options.length)];
      deps[i].add(dep);
      slow.add(dep);
    } else if (next() < 0.3) {
      deps[i].add(options[pick(options.length)]);
    }
  });
  const tasks = forest.tasks((i): Omit<PlanTask, 'children'> => ({
    id: `t${i}`,
    capabilities: ['data_analysis'],
    input: { data: [i, i + 1, i + 2], ...(slow.has(i) ? { simulateFailures: 1 } : {}) },
    ...(slow.has(i) ? { attempts: 2, backoffMs: slowMs } : {}),
    ...(deps[i].size > 0 ? { dependsOn: [...deps[i]].map((d) => `t${d}`) } : {}),
  }));
  return { tasks };
}

/** Whether some task of the plan has children and dependencies: what these tests are about. */
function inheritsDependencies(plan: { tasks: PlanTask[] }): boolean {
  const inherits = (task: PlanTask): boolean => ((task.children ?? []).length > 0 && (task.dependsOn ?? []).length > 0) || (task.children ?? []).some(inherits);
  return plan.tasks.some(inherits);
}

describe("children wait for their ancestors' dependencies", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const run = async (plan: unknown) => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    expect(accepted.status).toBe(202);
    return stack.waitForSession(accepted.body.sessionId, undefined, 60_000);
  };

  it('a child of a task that depends on research starts after research finished, with its result', async () => {
    const session = await run({
      tasks: [
        // Slow: its first run fails, and the retry comes 500 ms later.
        { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF', simulateFailures: 1 }, attempts: 2, backoffMs: 500 },
        { id: 'draft', capabilities: ['document_creation'], dependsOn: ['research'], children: [{ id: 'outline', capabilities: ['workflow_design'] }] },
        { id: 'review', capabilities: ['code_review'], dependsOn: ['draft'] },
      ],
    });
    expect(session.status).toBe('completed');
    const byId = new Map<string, any>(session.tasks.map((t: any) => [t.id, t]));
    const outline = byId.get('outline');
    expect(Date.parse(outline.startedAt)).toBeGreaterThanOrEqual(Date.parse(byId.get('research').finishedAt));
    // Its own dependsOn stays as the plan says; it received research's result all the same.
    expect(outline).toMatchObject({ dependsOn: [], inputFrom: ['research'] });
    expect(outline.output.basedOn).toEqual(['research']);
    expect(runOrderViolations(session)).toEqual([]);
  });

  it("random plans: no task starts before every ancestor's dependencies finished, and each gets their results", async () => {
    // The first four seeds from 1 whose plans have a task with children and dependencies.
    const plans: { tasks: PlanTask[] }[] = [];
    for (let seed = 1; plans.length < 4 && seed < 1000; seed++) {
      const plan = randomPlan(seed, 300);
      if (inheritsDependencies(plan)) plans.push(plan);
    }
    expect(plans).toHaveLength(4);
    const sessions = await Promise.all(plans.map(run));
    sessions.forEach((session, i) => {
      expect({ plan: i, status: session.status }).toEqual({ plan: i, status: 'completed' });
      expect({ plan: i, violations: runOrderViolations(session) }).toEqual({ plan: i, violations: [] });
    });
  });
});
