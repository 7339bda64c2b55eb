import fc from 'fast-check';
import { BUILTIN_CAPABILITY_NAMES } from '../agents/capability-catalog';
import { prerequisites } from './plan-graph';
import { validatePlan } from './plan-validator';

interface RawTask {
  id: string;
  capabilities: string[];
  dependsOn?: string[];
  children?: RawTask[];
}

/**
 * A random plan that can run: tasks are numbered in a random tree; a task may depend only on
 * tasks that come earlier in depth-first post-order (finished before it) and are not its
 * ancestors, so every edge points "backwards" and no cycle is possible.
 */
const runnablePlan = fc
  .record({
    size: fc.integer({ min: 1, max: 40 }),
    parents: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 80 }),
  })
  .map(({ size, parents, edges }) => {
    // parent[i] is -1 (top level) or an earlier task: a random forest.
    const parent = Array.from({ length: size }, (_, i) => (i === 0 ? -1 : (parents[i] % (i + 1)) - 1));
    const children = Array.from({ length: size }, () => [] as number[]);
    parent.forEach((p, i) => p >= 0 && children[p].push(i));
    const postOrder: number[] = [];
    const visit = (i: number) => {
      children[i].forEach(visit);
      postOrder.push(i);
    };
    parent.forEach((p, i) => p < 0 && visit(i));
    const rank = new Map(postOrder.map((task, r) => [task, r]));
    const isAncestor = (a: number, of: number) => {
      for (let p = parent[of]; p >= 0; p = parent[p]) if (p === a) return true;
      return false;
    };
    const deps = Array.from({ length: size }, () => new Set<number>());
    for (const [x, y] of edges) {
      const [a, b] = [x % size, y % size];
      // b depends on a when a finishes earlier and is not b's ancestor.
      if (a !== b && rank.get(a)! < rank.get(b)! && !isAncestor(a, b)) deps[b].add(a);
    }
    const build = (i: number): RawTask => ({
      id: `t${i}`,
      capabilities: ['web_research'],
      ...(deps[i].size ? { dependsOn: [...deps[i]].map((d) => `t${d}`) } : {}),
      ...(children[i].length ? { children: children[i].map(build) } : {}),
    });
    return { tasks: parent.flatMap((p, i) => (p < 0 ? [build(i)] : [])) };
  });

describe('validatePlan (properties)', () => {
  it('accepts every runnable DAG, and its prerequisites admit a topological order', () => {
    fc.assert(
      fc.property(runnablePlan, (plan) => {
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

  it('rejects every plan with a dependency cycle, naming tasks of the cycle', () => {
    const cyclic = fc
      .record({ length: fc.integer({ min: 2, max: 12 }), extra: fc.integer({ min: 0, max: 10 }) })
      .map(({ length, extra }) => {
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
