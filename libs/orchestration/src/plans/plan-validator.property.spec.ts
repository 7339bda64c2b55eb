import fc from 'fast-check';
import { BUILTIN_CAPABILITY_NAMES } from '../agents/capability-catalog';
import { prerequisites } from './plan-graph';
import { PlanForest } from './testing/plan-forest';
import { validatePlan } from './plan-validator';

interface RawTask {
  id: string;
  capabilities: string[];
  dependsOn?: string[];
  children?: RawTask[];
}

/**
 * A random plan that can run (see PlanForest): with `innerDeps`, every inner task that can depend
 * on a task outside its subtree does, so its descendants wait for that task too.
 */
const runnablePlan = ({ innerDeps = false } = {}) =>
  fc
    .record({
      size: fc.integer({ min: 1, max: 40 }),
      parents: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
      edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 80 }),
      picks: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    })
    .map(({ size, parents, edges, picks }) => {
      const forest = PlanForest.random(size, (i, n) => parents[i] % n);
      const deps = Array.from({ length: size }, () => new Set<number>());
      for (const [x, y] of edges) {
        const [a, b] = [x % size, y % size];
        if (forest.mayDependOn(b, a)) deps[b].add(a);
      }
      if (innerDeps) {
        forest.children.forEach((kids, i) => {
          const outside = forest.passableDependencies(i);
          if (kids.length > 0 && outside.length > 0) deps[i].add(outside[picks[i] % outside.length]);
        });
      }
      const tasks: RawTask[] = forest.tasks((i) => ({
        id: `t${i}`,
        capabilities: ['web_research'],
        ...(deps[i].size ? { dependsOn: [...deps[i]].map((d) => `t${d}`) } : {}),
      }));
      return { tasks };
    });

describe('validatePlan (properties)', () => {
  it('accepts every runnable DAG, and its prerequisites admit a topological order', () => {
    fc.assert(
      fc.property(fc.oneof(runnablePlan(), runnablePlan({ innerDeps: true })), (plan) => {
        const result = validatePlan(plan, BUILTIN_CAPABILITY_NAMES);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        // Kahn's algorithm over "must finish before" edges consumes every task.
        const tasks = [...result.graph.tasks.values()];
        const waiting = new Map(tasks.map((t) => [t.id, prerequisites(t).length]));
        const unblocks = new Map<string, string[]>();
        for (const t of tasks) for (const p of prerequisites(t)) unblocks.set(p, [...(unblocks.get(p) ?? []), t.id]);
        const ready = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
        const order: string[] = [];
        while (ready.length) {
          const id = ready.pop()!;
          order.push(id);
          for (const next of unblocks.get(id) ?? []) {
            waiting.set(next, waiting.get(next)! - 1);
            if (waiting.get(next) === 0) ready.push(next);
          }
        }
        expect(order.length).toBe(tasks.length);
      }),
      { numRuns: 300 },
    );
  });

  it("makes every task wait for its ancestors' dependencies, which then come before it in any run order", () => {
    fc.assert(
      fc.property(runnablePlan({ innerDeps: true }), fc.infiniteStream(fc.nat()), (plan, choices) => {
        const result = validatePlan(plan, BUILTIN_CAPABILITY_NAMES);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const tasks = result.graph.tasks;
        const ancestors = (id: string) => {
          const out: string[] = [];
          for (let p = tasks.get(id)!.parentId; p !== null; p = tasks.get(p)!.parentId) out.push(p);
          return out;
        };
        // What a task must not start before: each ancestor's dependencies, but those inside the
        // ancestor's own subtree (the ancestor waits for them as its descendants anyway).
        const inherited = (id: string) => ancestors(id).flatMap((a) => tasks.get(a)!.dependsOn.filter((dep) => dep !== a && !ancestors(dep).includes(a)));
        for (const task of tasks.values()) {
          for (const dep of inherited(task.id)) expect(task.waitsOn).toContain(dep);
        }
        // Run the tasks one at a time, each picked at random among those whose prerequisites have
        // finished: every ancestor's dependency finished before the task started.
        const waiting = new Map([...tasks.values()].map((t) => [t.id, new Set(prerequisites(t))]));
        const finished = new Set<string>();
        const stream = choices[Symbol.iterator]();
        while (finished.size < tasks.size) {
          const ready = [...waiting].filter(([, pending]) => pending.size === 0).map(([id]) => id);
          expect(ready.length).toBeGreaterThan(0);
          const id = ready[stream.next().value % ready.length];
          for (const dep of inherited(id)) expect(finished).toContain(dep);
          waiting.delete(id);
          finished.add(id);
          for (const pending of waiting.values()) pending.delete(id);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every plan with a dependency cycle, naming tasks of the cycle', () => {
    const cyclic = fc.record({ length: fc.integer({ min: 2, max: 12 }), extra: fc.integer({ min: 0, max: 10 }) }).map(({ length, extra }) => {
      // A ring t0 → t1 → … → t0 plus free tasks around it.
      const ring = Array.from({ length }, (_, i) => ({ id: `r${i}`, capabilities: ['web_research'], dependsOn: [`r${(i + 1) % length}`] }));
      const free = Array.from({ length: extra }, (_, i) => ({ id: `f${i}`, capabilities: ['web_research'] }));
      return { plan: { tasks: [...free, ...ring] }, ring: ring.map((t) => t.id) };
    });
    fc.assert(
      fc.property(cyclic, ({ plan, ring }) => {
        const result = validatePlan(plan, BUILTIN_CAPABILITY_NAMES);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.issues[0].message).toContain('can never run');
        expect(ring.some((id) => result.issues[0].message.includes(`${id} →`))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
