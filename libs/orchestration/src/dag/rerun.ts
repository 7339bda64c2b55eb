/** What the closure reads of a plan's graph: each task's parent, and who waits for each task. */
export interface RerunGraph {
  readonly tasks: ReadonlyMap<string, { readonly parentId: string | null }>;
  /** Task id → the tasks whose `dependsOn` (or an ancestor's) names it. */
  readonly dependants: ReadonlyMap<string, readonly string[]>;
}

/**
 * The tasks a fork runs again: `seeds` and every task that waits on one of them, directly or
 * through others — its dependants (a dependant of a task's ancestor included, as the graph's
 * `dependants` passes dependencies down the tree) and its parent, up the tree. Children of a task
 * that runs again do not: they do not wait for their parent. In the graph's order.
 */
export function rerunClosure(graph: RerunGraph, seeds: Iterable<string>): string[] {
  const rerun = new Set<string>();
  const stack = [...seeds];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (rerun.has(id) || !graph.tasks.has(id)) continue;
    rerun.add(id);
    stack.push(...(graph.dependants.get(id) ?? []));
    const parentId = graph.tasks.get(id)!.parentId;
    if (parentId !== null) stack.push(parentId);
  }
  return [...graph.tasks.keys()].filter((id) => rerun.has(id));
}
