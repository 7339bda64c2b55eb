import { BUILTIN_CAPABILITY_NAMES } from '../agents/capability-catalog';
import { DEFAULT_PLAN_LIMITS, validatePlan } from './plan-validator';

const caps = BUILTIN_CAPABILITY_NAMES;
const t = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], ...extra });

function issuesOf(plan: unknown, limits = DEFAULT_PLAN_LIMITS) {
  const result = validatePlan(plan, caps, limits);
  if (result.ok) throw new Error('expected the plan to be rejected');
  return result.issues;
}

describe('validatePlan', () => {
  it('accepts waits and signals without capabilities', () => {
    const result = validatePlan(
      {
        tasks: [
          { id: 'pause', kind: 'wait', durationMs: 1000 },
          { id: 'until', kind: 'wait', until: '2030-01-01T00:00:00Z' },
          { id: 'gate', kind: 'signal', signal: 'approved', timeoutMs: 5000, onFailure: 'continue', dependsOn: ['pause'] },
          t('after', { dependsOn: ['gate', 'until'] }),
        ],
      },
      caps,
    );
    expect(result.ok).toBe(true);
  });

  it('names what a wait, a signal or a task lacks or must not have for its kind', () => {
    // A malformed `until` is the schema's: it comes alone.
    expect(issuesOf({ tasks: [{ id: 'when', kind: 'wait', until: 'tomorrow' }] }).map((i) => i.path)).toEqual(['plan.tasks[0].until']);
    const kinds = issuesOf({
      tasks: [
        { id: 'neither', kind: 'wait' },
        { id: 'both', kind: 'wait', durationMs: 5, until: '2030-01-01T00:00:00Z' },
        { id: 'agentful', kind: 'wait', durationMs: 5, capabilities: ['web_research'], children: [t('kid')] },
        { id: 'nameless', kind: 'signal', durationMs: 5 },
        { id: 'first', kind: 'signal', signal: 'go' },
        { id: 'second', kind: 'signal', signal: 'go' },
        { id: 'plain', signal: 'go' },
        { id: 'bare' },
      ],
    });
    expect(kinds).toEqual(
      [
        { path: 'plan.tasks[0].durationMs', message: 'task "neither" of kind "wait" needs either durationMs or until' },
        { path: 'plan.tasks[1].durationMs', message: 'task "both" of kind "wait" needs either durationMs or until' },
        { path: 'plan.tasks[2].capabilities', message: 'task "agentful" of kind "wait" takes no capabilities: it runs no agent' },
        { path: 'plan.tasks[2].children', message: 'task "agentful" of kind "wait" takes no children: it runs no agent' },
        {
          path: 'plan.tasks[3].durationMs',
          message: 'task "nameless" of kind "signal" takes no durationMs: a signal task waits for its signal (timeoutMs bounds it)',
        },
        { path: 'plan.tasks[3].signal', message: 'task "nameless" of kind "signal" needs the name of its signal' },
        { path: 'plan.tasks[5].signal', message: 'task "second" waits for signal "go", which task "first" waits for already' },
        { path: 'plan.tasks[6].capabilities', message: 'task "plain" needs at least one capability' },
        { path: 'plan.tasks[6].signal', message: 'task "plain" of kind "task" takes no signal: only kinds "wait" and "signal" do' },
        { path: 'plan.tasks[7].capabilities', message: 'task "bare" needs at least one capability' },
        { path: 'plan.tasks.2.children[0]', message: expect.any(String) },
      ].filter((i) => i.path.startsWith('plan.tasks[')),
    );
  });

  it('accepts the wire contract example', () => {
    const result = validatePlan(
      {
        tasks: [
          { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
          { id: 'draft', capabilities: ['document_creation'], dependsOn: ['research'], children: [{ id: 'outline', capabilities: ['workflow_design'] }] },
          {
            id: 'review',
            capabilities: ['code_review'],
            dependsOn: ['draft'],
            onFailure: 'continue',
            attempts: 3,
            backoffMs: 500,
            timeoutMs: 60000,
            priority: 5,
          },
        ],
      },
      caps,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.graph.tasks.keys()]).toEqual(['research', 'draft', 'outline', 'review']);
    expect(result.graph.tasks.get('outline')?.parentId).toBe('draft');
    expect(result.graph.dependants.get('research')).toEqual(['draft', 'outline']);
    expect(result.graph.roots).toEqual(['research', 'draft', 'review']);
  });

  it('rejects an empty plan', () => {
    expect(issuesOf({ tasks: [] })).toEqual([{ path: 'plan.tasks', message: 'a plan needs at least one task' }]);
  });

  it('names a malformed field by its path', () => {
    const issues = issuesOf({ tasks: [t('a'), { id: 'b c', capabilities: [] }] });
    expect(issues.map((i) => i.path)).toEqual(['plan.tasks[1].id', 'plan.tasks[1].capabilities']);
  });

  it('rejects unknown fields', () => {
    expect(issuesOf({ tasks: [t('a', { colour: 'red' })] })[0].path).toBe('plan.tasks[0]');
  });

  it('rejects duplicate ids anywhere in the tree, naming both places', () => {
    const issues = issuesOf({ tasks: [t('a', { children: [t('x')] }), t('b', { children: [t('x')] })] });
    expect(issues).toEqual([{ path: 'plan.tasks[1].children[0].id', message: 'duplicate task id "x" (already used at plan.tasks[0].children[0])' }]);
  });

  it('rejects unknown capabilities and unknown or self references', () => {
    const issues = issuesOf({
      tasks: [t('a', { capabilities: ['telepathy'] }), t('b', { dependsOn: ['ghost', 'b'] })],
    });
    expect(issues).toEqual([
      { path: 'plan.tasks[0].capabilities[0]', message: 'unknown capability "telepathy"' },
      { path: 'plan.tasks[1].dependsOn[0]', message: 'task "b" depends on unknown task "ghost"' },
      { path: 'plan.tasks[1].dependsOn[1]', message: 'task "b" depends on itself' },
    ]);
  });

  it('refuses a capability listed twice, naming the task and the capability once per name', () => {
    const issues = issuesOf({ tasks: [t('a'), t('b', { capabilities: ['web_research', 'code_review', 'web_research', 'code_review', 'web_research'] })] });
    expect(issues).toEqual([
      { path: 'plan.tasks[1].capabilities[2]', message: 'task "b" lists capability "web_research" twice' },
      { path: 'plan.tasks[1].capabilities[3]', message: 'task "b" lists capability "code_review" twice' },
    ]);
  });

  it("bounds a task's capabilities, with a bounded number of issues however long the list", () => {
    const many = issuesOf({ tasks: [t('many', { capabilities: Array.from({ length: 60_000 }, (_, i) => `cap_${i % 3}`) })] });
    expect(many).toEqual([
      { path: 'plan.tasks[0].capabilities[3]', message: 'task "many" lists capability "cap_0" twice' },
      { path: 'plan.tasks[0].capabilities[4]', message: 'task "many" lists capability "cap_1" twice' },
      { path: 'plan.tasks[0].capabilities[5]', message: 'task "many" lists capability "cap_2" twice' },
      { path: 'plan.tasks[0].capabilities', message: 'task "many" lists 60000 capabilities; a task takes at most 32' },
    ]);
  });

  it('names every task of a dependency cycle', () => {
    const [issue] = issuesOf({ tasks: [t('a', { dependsOn: ['c'] }), t('b', { dependsOn: ['a'] }), t('c', { dependsOn: ['b'] })] });
    expect(issue.message).toMatch(/can never run: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  it('rejects a task that depends on its own ancestor', () => {
    const [issue] = issuesOf({ tasks: [t('parent', { children: [t('child', { dependsOn: ['parent'] })] })] });
    expect(issue.message).toContain('parent');
    expect(issue.message).toContain('child');
  });

  it('accepts a parent that depends on its own descendant (it waits for it anyway)', () => {
    expect(validatePlan({ tasks: [t('p', { dependsOn: ['c'], children: [t('c')] })] }, caps).ok).toBe(true);
  });

  it("makes children wait for their ancestors' dependencies (and receive their results)", () => {
    const result = validatePlan(
      {
        tasks: [
          t('research'),
          t('notes'),
          t('draft', { dependsOn: ['research'], children: [t('outline', { dependsOn: ['notes'], children: [t('heading')] })] }),
        ],
      },
      caps,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { tasks, dependants } = result.graph;
    expect(tasks.get('outline')).toMatchObject({ dependsOn: ['notes'], dependencies: ['notes', 'research'], waitsOn: ['notes', 'research'] });
    expect(tasks.get('heading')).toMatchObject({ dependsOn: [], dependencies: ['notes', 'research'], waitsOn: ['notes', 'research'] });
    expect(dependants.get('research')).toEqual(['draft', 'outline', 'heading']);
  });

  it("does not pass down a parent's dependency on its own descendant", () => {
    const result = validatePlan({ tasks: [t('p', { dependsOn: ['c'], children: [t('c'), t('d')] })] }, caps);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.graph.tasks.get('c')?.waitsOn).toEqual([]);
    expect(result.graph.tasks.get('d')?.waitsOn).toEqual([]);
  });

  it('rejects a dependency that waits for a child of the task depending on it, naming the inherited edge', () => {
    // outline waits for research, as its parent draft does; research waits for outline.
    const [issue] = issuesOf({ tasks: [t('research', { dependsOn: ['outline'] }), t('draft', { dependsOn: ['research'], children: [t('outline')] })] });
    expect(issue.message).toMatch(/can never run: (research → outline → research|outline → research → outline)/);
    expect(issue.message).toContain('"outline" waits for "research" because its ancestor "draft" depends on it');
  });

  it('enforces the size, depth and input limits', () => {
    const limits = { maxTasks: 3, maxDepth: 2, maxInputBytes: 10 };
    expect(issuesOf({ tasks: [t('a'), t('b'), t('c'), t('d')] }, limits)[0].message).toBe('the plan has 4 tasks; the limit is 3');
    expect(issuesOf({ tasks: [t('a', { children: [t('b', { children: [t('c')] })] })] }, limits)[0]).toEqual({
      path: 'plan.tasks[0].children[0].children[0]',
      message: 'task "c" is nested 3 deep; the limit is 2',
    });
    expect(issuesOf({ tasks: [t('a', { input: { text: 'far too long' } })] }, limits)[0].path).toBe('plan.tasks[0].input');
  });
});

describe('validatePlan for subtasks spawned at run time', () => {
  const session = { existingIds: new Set(['a', 'b', 'spawner']), finishedIds: new Set(['a']) };

  it('lets new tasks depend on finished tasks of the session, and not wait for them', () => {
    const result = validatePlan({ tasks: [t('x', { dependsOn: ['a'] }), t('y', { dependsOn: ['x', 'a'] })] }, caps, DEFAULT_PLAN_LIMITS, 'subtasks', session);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.graph.tasks.get('x')?.waitsOn).toEqual([]);
    expect(result.graph.tasks.get('y')?.waitsOn).toEqual(['x']);
  });

  it("passes the spawning task's dependencies down to its subtasks, finished: they receive them and do not wait", () => {
    const result = validatePlan({ tasks: [t('x', { children: [t('x1', { dependsOn: ['a'] })] })] }, caps, DEFAULT_PLAN_LIMITS, 'subtasks', {
      ...session,
      inherited: ['a'],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.graph.tasks.get('x')).toMatchObject({ dependencies: ['a'], waitsOn: [] });
    expect(result.graph.tasks.get('x1')).toMatchObject({ dependencies: ['a'], waitsOn: [] });
  });

  it('refuses ids the session has and dependencies on its unfinished tasks', () => {
    const result = validatePlan({ tasks: [t('a'), t('x', { dependsOn: ['b'] })] }, caps, DEFAULT_PLAN_LIMITS, 'subtasks', session);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: 'subtasks.tasks[0].id', message: 'task id "a" is already a task of the session' },
      {
        path: 'subtasks.tasks[1].dependsOn[0]',
        message: 'task "x" depends on "b", which has not finished; new tasks may depend only on each other and on finished tasks',
      },
    ]);
  });
});
