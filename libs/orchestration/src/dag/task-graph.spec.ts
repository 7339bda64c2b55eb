import { buildTaskGraph, findCycle, flattenTasks, prerequisites } from './task-graph';

interface Node {
  id: string;
  children?: Node[];
  dependsOn?: string[];
}

const graphOf = (tasks: Node[], inherited: string[] = []) => buildTaskGraph(flattenTasks(tasks), inherited);

describe('the task graph', () => {
  it('flattens the tree depth first, each task with its parent, path and depth', () => {
    const flat = flattenTasks<Node>([
      { id: 'a', children: [{ id: 'a1' }, { id: 'a2' }] },
      { id: 'b', dependsOn: ['a', 'a'] },
    ]);
    expect(flat.map((t) => [t.id, t.parentId, t.path, t.depth])).toEqual([
      ['a', null, 'plan.tasks[0]', 1],
      ['a1', 'a', 'plan.tasks[0].children[0]', 2],
      ['a2', 'a', 'plan.tasks[0].children[1]', 2],
      ['b', null, 'plan.tasks[1]', 1],
    ]);
    expect(flat[3].dependsOn).toEqual(['a']);
    expect(flat[0].childIds).toEqual(['a1', 'a2']);
  });

  it("passes a task's dependencies down to its children, but not those inside its own subtree", () => {
    const graph = graphOf([{ id: 'x' }, { id: 'p', dependsOn: ['x', 'c2'], children: [{ id: 'c1' }, { id: 'c2', dependsOn: ['c1'] }] }]);
    expect(graph.tasks.get('c1')!.dependencies).toEqual(['x']);
    expect(graph.tasks.get('c2')!.dependencies).toEqual(['c1', 'x']);
    expect(graph.dependants.get('x')).toEqual(['p', 'c1', 'c2']);
    expect(graph.roots).toEqual(['x', 'p']);
  });

  it('lets spawned subtasks receive, but not wait for, the finished dependencies of their spawner', () => {
    const graph = graphOf([{ id: 's1' }, { id: 's2', dependsOn: ['s1'] }], ['done']);
    expect(graph.tasks.get('s2')!.dependencies).toEqual(['s1', 'done']);
    expect(graph.tasks.get('s2')!.waitsOn).toEqual(['s1']);
    expect(graph.tasks.get('s1')!.waitsOn).toEqual([]);
  });

  it('orders a task after its dependencies and its children', () => {
    const graph = graphOf([{ id: 'd' }, { id: 'p', dependsOn: ['d'], children: [{ id: 'c' }] }]);
    expect(prerequisites(graph.tasks.get('p')!)).toEqual(['d', 'c']);
  });

  it('finds a cycle in run order (each id before the one that waits for it), the first id repeated last, and none in a DAG', () => {
    expect(
      findCycle(
        graphOf([
          { id: 'a', dependsOn: ['c'] },
          { id: 'b', dependsOn: ['a'] },
          { id: 'c', dependsOn: ['b'] },
        ]).tasks,
      ),
    ).toEqual(['b', 'c', 'a', 'b']);
    // A child that depends on its parent: the parent waits for the child, which waits for the parent.
    expect(findCycle(graphOf([{ id: 'p', children: [{ id: 'c', dependsOn: ['p'] }] }]).tasks)).toEqual(['c', 'p', 'c']);
    expect(findCycle(graphOf([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['a', 'b'] }]).tasks)).toBeNull();
  });

  it("reads each task's edges once: a parent is not read again for each of its children", () => {
    const { tasks } = graphOf([{ id: 'p', children: Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, dependsOn: i > 0 ? [`c${i - 1}`] : [] })) }]);
    const reads: string[] = [];
    const counted = new Map(tasks);
    counted.get = (id: string) => (reads.push(id), tasks.get(id));
    expect(findCycle(counted)).toBeNull();
    expect(reads).toHaveLength(tasks.size);
    expect(new Set(reads).size).toBe(tasks.size);
  });
});
