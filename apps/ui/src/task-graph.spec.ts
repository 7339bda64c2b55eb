import { defaultCollapsed, GraphTask, visibleGraph } from './task-graph';

const task = (id: string, parentId: string | null = null, dependsOn: string[] = [], status = 'waiting'): GraphTask => ({
  id,
  parentId,
  dependsOn,
  status,
  capabilities: ['web_research'],
});

// research (children r1, r2; r2 has child r2a) → draft → review; draft also depends on r2a.
const TASKS = [
  task('research', null, [], 'running'),
  task('r1', 'research', [], 'completed'),
  task('r2', 'research', [], 'running'),
  task('r2a', 'r2', [], 'failed'),
  task('draft', null, ['research', 'r2a']),
  task('review', null, ['draft']),
];

describe('visibleGraph', () => {
  it('draws every task, with an edge per child and per dependency', () => {
    const graph = visibleGraph(TASKS, new Set());
    expect(graph.nodes.map((n) => [n.task.id, n.descendants])).toEqual([
      ['research', 3],
      ['r1', 0],
      ['r2', 1],
      ['r2a', 0],
      ['draft', 0],
      ['review', 0],
    ]);
    expect(graph.edges.map((e) => e.id).sort()).toEqual(
      ['contains:research->r1', 'contains:research->r2', 'contains:r2->r2a', 'depends:research->draft', 'depends:r2a->draft', 'depends:draft->review'].sort(),
    );
  });

  it("hides a collapsed task's subtree, counts its hidden statuses and moves the hidden tasks' edges to it", () => {
    const graph = visibleGraph(TASKS, new Set(['research']));
    expect(graph.nodes.map((n) => n.task.id)).toEqual(['research', 'draft', 'review']);
    expect(graph.nodes[0]).toMatchObject({ collapsed: true, descendants: 3, hidden: { completed: 1, running: 1, failed: 1 } });
    // draft's dependencies on research and on r2a become one edge from research.
    expect(graph.edges.map((e) => e.id).sort()).toEqual(['depends:draft->review', 'depends:research->draft']);
  });

  it('collapses a nested task on its own, and ignores collapsing a leaf', () => {
    const graph = visibleGraph(TASKS, new Set(['r2', 'review']));
    expect(graph.nodes.map((n) => n.task.id)).toEqual(['research', 'r1', 'r2', 'draft', 'review']);
    expect(graph.edges.map((e) => e.id)).toContain('depends:r2->draft');
    expect(graph.nodes.find((n) => n.task.id === 'review')!.collapsed).toBe(false);
  });
});

describe('defaultCollapsed', () => {
  it('collapses nothing in a small plan', () => {
    expect(defaultCollapsed(TASKS)).toEqual(new Set());
  });

  it('collapses at the deepest depth that keeps a 1,000-task plan within the budget', () => {
    // 10 top-level tasks, each with 9 children, each of those with 10 leaves: 10 + 90 + 900 tasks.
    const tasks: GraphTask[] = [];
    for (let i = 0; i < 10; i++) {
      tasks.push(task(`t${i}`));
      for (let j = 0; j < 9; j++) {
        tasks.push(task(`t${i}.${j}`, `t${i}`));
        for (let k = 0; k < 10; k++) tasks.push(task(`t${i}.${j}.${k}`, `t${i}.${j}`));
      }
    }
    expect(tasks).toHaveLength(1000);
    const collapsed = defaultCollapsed(tasks, 250);
    expect(collapsed.size).toBe(90);
    expect(visibleGraph(tasks, collapsed).nodes).toHaveLength(100);
  });
});
