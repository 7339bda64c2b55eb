/** What the graph reads of a task as a plan gives it: its id, its children and its dependencies. */
export interface TaskNode<S> {
  readonly id: string;
  readonly children?: readonly S[];
  readonly dependsOn?: readonly string[];
}

/** A task of a plan with its place in the tree made explicit; `S` is the plan's task type. */
export interface FlatTask<S extends TaskNode<S>> {
  readonly id: string;
  readonly spec: S;
  readonly parentId: string | null;
  /** Where the task stands in the request, e.g. `plan.tasks[1].children[0]`. */
  readonly path: string;
  readonly depth: number;
  readonly childIds: readonly string[];
  readonly dependsOn: readonly string[];
}

/** A task of a validated plan. */
export interface PlannedTask<S extends TaskNode<S>> extends FlatTask<S> {
  /**
   * What it starts after and receives the results of: its own `dependsOn`, then each ancestor's,
   * nearest first. A task's children belong to it, so they wait for its dependencies too. An
   * ancestor's dependency inside the ancestor's own subtree is not passed down: the ancestor waits
   * for it as its descendant anyway. Subtasks spawned at run time also get the spawning task's
   * dependencies (see {@link buildTaskGraph}).
   */
  readonly dependencies: readonly string[];
  /**
   * The dependencies it must wait for: those inside the plan. A subtask spawned at run time may
   * also depend on tasks of its session that already finished; it does not wait for those.
   */
  readonly waitsOn: readonly string[];
}

/** A flattened, validated plan: tasks in depth-first order, with the reverse dependency edges. */
export interface TaskGraph<S extends TaskNode<S>> {
  readonly tasks: ReadonlyMap<string, PlannedTask<S>>;
  /** Task id → the ids of the tasks that wait for it: whose `dependsOn` names it, or an ancestor's does. */
  readonly dependants: ReadonlyMap<string, readonly string[]>;
  readonly roots: readonly string[];
}

/** Flattens the tree of `tasks` depth first. Assumes ids are unique (checked by the validator first). */
export function flattenTasks<S extends TaskNode<S>>(tasks: readonly S[], basePath = 'plan'): FlatTask<S>[] {
  const out: FlatTask<S>[] = [];
  const visit = (spec: S, parentId: string | null, path: string, depth: number) => {
    out.push({
      id: spec.id,
      spec,
      parentId,
      path,
      depth,
      childIds: (spec.children ?? []).map((c) => c.id),
      dependsOn: [...new Set(spec.dependsOn ?? [])],
    });
    (spec.children ?? []).forEach((child, i) => visit(child, spec.id, `${path}.children[${i}]`, depth + 1));
  };
  tasks.forEach((task, i) => visit(task, null, `${basePath}.tasks[${i}]`, 1));
  return out;
}

/**
 * Builds the graph of a flattened plan (depth first, so each parent comes before its children).
 * `inherited`: the dependencies of the task that spawned these tasks at run time (all finished),
 * which its subtasks receive as a child receives its parent's.
 */
export function buildTaskGraph<S extends TaskNode<S>>(flat: readonly FlatTask<S>[], inherited: readonly string[] = []): TaskGraph<S> {
  const ids = new Set(flat.map((t) => t.id));
  const parentOf = new Map(flat.map((t) => [t.id, t.parentId]));
  const isDescendant = (id: string, of: string) => {
    for (let p = parentOf.get(id) ?? null; p !== null; p = parentOf.get(p) ?? null) if (p === of) return true;
    return false;
  };
  // What each task passes down to its children: its dependencies outside its own subtree, then
  // what it was passed itself.
  const passedDown = new Map<string, readonly string[]>();
  const tasks: PlannedTask<S>[] = flat.map((t) => {
    const fromAbove = t.parentId === null ? inherited : passedDown.get(t.parentId)!;
    const dependencies = [...new Set([...t.dependsOn, ...fromAbove])];
    passedDown.set(t.id, [...new Set([...t.dependsOn.filter((id) => !isDescendant(id, t.id)), ...fromAbove])]);
    return { ...t, dependencies, waitsOn: dependencies.filter((id) => ids.has(id)) };
  });
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const dependants = new Map<string, string[]>();
  for (const task of tasks) {
    for (const dep of task.waitsOn) {
      const list = dependants.get(dep) ?? [];
      list.push(task.id);
      dependants.set(dep, list);
    }
  }
  return { tasks: byId, dependants, roots: tasks.filter((t) => t.parentId === null).map((t) => t.id) };
}

/**
 * The edges "X must finish before Y starts": each dependency (its ancestors' included) before its
 * dependant, and each child before its parent (a BullMQ parent waits for its children). A cycle
 * here can never run.
 */
export function prerequisites(task: Pick<PlannedTask<never>, 'waitsOn' | 'childIds'>): readonly string[] {
  return [...task.waitsOn, ...task.childIds];
}

/**
 * Finds one cycle among the "must finish before" edges, or `null`. Iterative DFS, so deep plans
 * do not overflow the stack. The cycle is returned in execution-wait order, first id repeated last.
 */
export function findCycle(tasks: ReadonlyMap<string, Pick<PlannedTask<never>, 'waitsOn' | 'childIds'>>): string[] | null {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Map<string, number>();
  // Each frame reads its task's edges once: a parent of n children is back on top n times.
  const frameOf = (id: string) => ({ id, next: 0, edges: prerequisites(tasks.get(id)!).filter((edge) => tasks.has(edge)) });
  for (const start of tasks.keys()) {
    if ((colour.get(start) ?? WHITE) !== WHITE) continue;
    const stack = [frameOf(start)];
    colour.set(start, GREY);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const edges = frame.edges;
      if (frame.next >= edges.length) {
        colour.set(frame.id, BLACK);
        stack.pop();
        continue;
      }
      const nextId = edges[frame.next++];
      const c = colour.get(nextId) ?? WHITE;
      if (c === GREY) {
        const from = stack.findIndex((f) => f.id === nextId);
        // The stack runs waiter → prerequisite; reverse it so the cycle reads in run order.
        const cycle = stack
          .slice(from)
          .map((f) => f.id)
          .reverse();
        return [...cycle, cycle[0]];
      }
      if (c === WHITE) {
        colour.set(nextId, GREY);
        stack.push(frameOf(nextId));
      }
    }
  }
  return null;
}
