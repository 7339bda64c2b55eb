/** A task with its children, as a plan nests them. */
export type Nested<T> = T & { children?: Nested<T>[] };

/**
 * The shape of a random plan, for the generators of property and end-to-end tests: a forest of
 * tasks numbered 0..n-1, and which dependencies keep it runnable. A task may depend on tasks that
 * come earlier in depth-first post-order and are not its ancestors: every "must finish before"
 * edge then points backwards, and no cycle can form — also once each task waits for its
 * ancestors' dependencies, as an ancestor's dependency outside its subtree comes earlier than the
 * whole subtree.
 */
export class PlanForest {
  readonly children: number[][];
  /** The tasks in depth-first post-order: children before their parent. */
  readonly postOrder: number[] = [];
  private readonly rank = new Map<number, number>();

  /** `parent[i]`: the index of task i's parent, or -1 for a top-level task; each parent comes before its children. */
  constructor(readonly parent: readonly number[]) {
    this.children = parent.map(() => []);
    parent.forEach((p, i) => p >= 0 && this.children[p].push(i));
    const visit = (i: number) => {
      this.children[i].forEach(visit);
      this.postOrder.push(i);
    };
    parent.forEach((p, i) => p < 0 && visit(i));
    this.postOrder.forEach((task, r) => this.rank.set(task, r));
  }

  /** A random forest of `size` tasks: task i's parent is -1 or an earlier task, chosen by `pick(i + 1) - 1`. */
  static random(size: number, pick: (i: number, n: number) => number): PlanForest {
    return new PlanForest(Array.from({ length: size }, (_, i) => (i === 0 ? -1 : pick(i, i + 1) - 1)));
  }

  isAncestor(a: number, of: number): boolean {
    for (let p = this.parent[of]; p >= 0; p = this.parent[p]) if (p === a) return true;
    return false;
  }

  /** Whether `task` may depend on `dep` and the plan still run. */
  mayDependOn(task: number, dep: number): boolean {
    return dep !== task && this.rank.get(dep)! < this.rank.get(task)! && !this.isAncestor(dep, task);
  }

  /** The tasks `task` may depend on that are not its descendants either: what its children then wait for too. */
  passableDependencies(task: number): number[] {
    return this.postOrder.filter((dep) => this.mayDependOn(task, dep) && !this.isAncestor(task, dep));
  }

  /** The plan's top-level tasks, each task built by `build` (without its children) and given its children. */
  tasks<T extends object>(build: (i: number) => T): Nested<T>[] {
    const node = (i: number): Nested<T> => ({
      ...build(i),
      ...(this.children[i].length > 0 ? { children: this.children[i].map(node) } : {}),
    });
    return this.parent.flatMap((p, i) => (p < 0 ? [node(i)] : []));
  }
}
