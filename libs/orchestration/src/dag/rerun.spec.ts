import { buildTaskGraph, flattenTasks } from './task-graph';
import { rerunClosure } from './rerun';

interface Spec {
  id: string;
  dependsOn?: string[];
  children?: Spec[];
}

const graphOf = (tasks: Spec[]) => buildTaskGraph(flattenTasks<Spec>(tasks));

describe('rerunClosure', () => {
  it('of a chain from its middle: that task and those after it', () => {
    const graph = graphOf([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }, { id: 'd', dependsOn: ['c'] }]);
    expect(rerunClosure(graph, ['b'])).toEqual(['b', 'c', 'd']);
  });

  it('of a DAG: dependants in two branches and what joins them, not the other branch', () => {
    const graph = graphOf([
      { id: 'root' },
      { id: 'x', dependsOn: ['root'] },
      { id: 'left', dependsOn: ['x'] },
      { id: 'right', dependsOn: ['x'] },
      { id: 'other', dependsOn: ['root'] },
      { id: 'join', dependsOn: ['left', 'right', 'other'] },
    ]);
    expect(rerunClosure(graph, ['x'])).toEqual(['x', 'left', 'right', 'join']);
  });

  it('takes in the parents up the tree and their dependants, not the siblings', () => {
    const graph = graphOf([
      { id: 'p', children: [{ id: 'q', children: [{ id: 'kid' }, { id: 'sibling' }] }, { id: 'aunt' }] },
      { id: 'after', dependsOn: ['p'] },
      { id: 'alone' },
    ]);
    expect(rerunClosure(graph, ['kid'])).toEqual(['p', 'q', 'kid', 'after']);
  });

  it("takes in the children of a dependant's ancestor, which wait for its dependencies too", () => {
    const graph = graphOf([{ id: 'dep' }, { id: 'parent', dependsOn: ['dep'], children: [{ id: 'child' }] }]);
    expect(rerunClosure(graph, ['dep'])).toEqual(['dep', 'parent', 'child']);
  });

  it('of several seeds, ignoring ids the graph does not have', () => {
    const graph = graphOf([{ id: 'a' }, { id: 'b' }, { id: 'c', dependsOn: ['b'] }]);
    expect(rerunClosure(graph, ['c', 'a', 'ghost'])).toEqual(['a', 'c']);
  });
});
