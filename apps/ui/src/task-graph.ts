/**
 * The session page's graph model, without the DOM: which tasks are drawn (a collapsed task hides
 * its subtree) and which edges join them (a hidden task's edges go to its collapsed ancestor).
 */

export interface GraphTask {
  readonly id: string;
  readonly parentId: string | null;
  readonly dependsOn: readonly string[];
  status: string;
  readonly title?: string;
  readonly capabilities: readonly string[];
  agentId?: string;
  /** `wait` and `signal` tasks run no agent: the graph marks them with a clock or a bell. */
  readonly kind?: string;
  /** The session a fork's task kept its output from, without running. */
  readonly reusedFrom?: string;
  /** What a node says under its title until an agent takes it, when not its capabilities (a wait's time, a signal's name). */
  readonly note?: string;
}

export interface VisibleNode {
  readonly task: GraphTask;
  /** How many tasks the subtree under it holds (0 for a leaf). */
  readonly descendants: number;
  readonly collapsed: boolean;
  /** For a collapsed task: its hidden descendants' statuses, counted. */
  readonly hidden: Readonly<Record<string, number>>;
}

export interface VisibleEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** `depends`: target waits for source; `contains`: target is a child of source. */
  readonly kind: 'depends' | 'contains';
}

export interface VisibleGraph {
  readonly nodes: VisibleNode[];
  readonly edges: VisibleEdge[];
}

function childrenOf(tasks: readonly GraphTask[]): Map<string, GraphTask[]> {
  const children = new Map<string, GraphTask[]>();
  for (const task of tasks) {
    if (task.parentId === null) continue;
    const siblings = children.get(task.parentId) ?? [];
    siblings.push(task);
    children.set(task.parentId, siblings);
  }
  return children;
}

/** Each task's depth in the tree (0 for a top-level task). */
export function depths(tasks: readonly GraphTask[]): Map<string, number> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = new Map<string, number>();
  const of = (task: GraphTask): number => {
    const known = depth.get(task.id);
    if (known !== undefined) return known;
    const parent = task.parentId === null ? undefined : byId.get(task.parentId);
    const value = parent === undefined ? 0 : of(parent) + 1;
    depth.set(task.id, value);
    return value;
  };
  tasks.forEach(of);
  return depth;
}

/** The tasks drawn when the tasks in `collapsed` hide their subtrees, and the edges between them. */
export function visibleGraph(tasks: readonly GraphTask[], collapsed: ReadonlySet<string>): VisibleGraph {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const children = childrenOf(tasks);
  // The task that stands for each task: itself, or its top-most collapsed ancestor.
  const shownAs = new Map<string, string>();
  const representative = (task: GraphTask): string => {
    const known = shownAs.get(task.id);
    if (known !== undefined) return known;
    const parent = task.parentId === null ? undefined : byId.get(task.parentId);
    const parentShownAs = parent === undefined ? undefined : representative(parent);
    const value = parent !== undefined && (parentShownAs !== parent.id || collapsed.has(parent.id)) ? parentShownAs! : task.id;
    shownAs.set(task.id, value);
    return value;
  };
  tasks.forEach(representative);

  const hidden = new Map<string, Record<string, number>>();
  const subtree = new Map<string, number>();
  const count = (task: GraphTask): number => {
    const size = (children.get(task.id) ?? []).reduce((sum, child) => sum + 1 + count(child), 0);
    subtree.set(task.id, size);
    return size;
  };
  tasks.filter((t) => t.parentId === null || !byId.has(t.parentId)).forEach(count);
  for (const task of tasks) {
    const rep = shownAs.get(task.id)!;
    if (rep === task.id) continue;
    const counts = hidden.get(rep) ?? {};
    counts[task.status] = (counts[task.status] ?? 0) + 1;
    hidden.set(rep, counts);
  }

  const nodes = tasks
    .filter((t) => shownAs.get(t.id) === t.id)
    .map((task) => ({
      task,
      descendants: subtree.get(task.id) ?? 0,
      collapsed: collapsed.has(task.id) && (subtree.get(task.id) ?? 0) > 0,
      hidden: hidden.get(task.id) ?? {},
    }));
  const edges = new Map<string, VisibleEdge>();
  const add = (source: string, target: string, kind: VisibleEdge['kind']) => {
    if (source === target) return;
    const id = `${kind}:${source}->${target}`;
    if (!edges.has(id)) edges.set(id, { id, source, target, kind });
  };
  for (const task of tasks) {
    const target = shownAs.get(task.id)!;
    if (task.parentId !== null && byId.has(task.parentId) && target === task.id) add(task.parentId, task.id, 'contains');
    for (const dep of task.dependsOn) if (byId.has(dep)) add(shownAs.get(dep)!, target, 'depends');
  }
  return { nodes, edges: [...edges.values()] };
}

/**
 * What to collapse when a session is first drawn: nothing when it has at most `budget` tasks;
 * otherwise every task with children at the deepest depth that keeps the drawn tasks within the
 * budget (top-level tasks are always drawn).
 */
export function defaultCollapsed(tasks: readonly GraphTask[], budget = 250): Set<string> {
  if (tasks.length <= budget) return new Set();
  const depth = depths(tasks);
  const parents = new Set(tasks.map((t) => t.parentId).filter((id): id is string => id !== null));
  let level = 0;
  for (;;) {
    const drawn = tasks.filter((t) => depth.get(t.id)! <= level + 1).length;
    if (drawn > budget || ![...depth.values()].some((d) => d > level + 1)) break;
    level++;
  }
  return new Set(tasks.filter((t) => parents.has(t.id) && depth.get(t.id) === level).map((t) => t.id));
}
