import { Stack } from './support/stack';

describe('dynamic decomposition', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 2 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('subtasks an agent returns join the session under its task, which completes only after them', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'context', capabilities: ['web_research'] },
          { id: 'breakdown', capabilities: ['task_decomposition'], dependsOn: ['context'], input: { goal: 'Implement a rate limiter API' } },
          { id: 'wrap-up', capabilities: ['document_creation'], dependsOn: ['breakdown'] },
        ],
      },
    });
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    const byId = new Map<string, any>(session.tasks.map((t: any) => [t.id, t]));

    const spawned = session.tasks.filter((t: any) => t.id.startsWith('breakdown.'));
    expect(spawned.map((t: any) => t.id)).toEqual(['breakdown.research', 'breakdown.implement', 'breakdown.test', 'breakdown.review']);
    for (const sub of spawned) {
      expect(sub).toMatchObject({ parentId: 'breakdown', status: 'completed', attempts: 1 });
      for (const dep of sub.dependsOn) expect(Date.parse(sub.startedAt)).toBeGreaterThanOrEqual(Date.parse(byId.get(dep).finishedAt));
      expect(Date.parse(byId.get('breakdown').finishedAt)).toBeGreaterThanOrEqual(Date.parse(sub.finishedAt));
    }
    // The decomposing agent ran once; its task's result is its subtasks' results.
    expect(byId.get('breakdown').attempts).toBe(1);
    expect(Object.keys(byId.get('breakdown').output)).toEqual(spawned.map((t: any) => t.id));
    expect(Date.parse(byId.get('wrap-up').startedAt)).toBeGreaterThanOrEqual(Date.parse(byId.get('breakdown').finishedAt));
    expect(byId.get('wrap-up').output.basedOn).toEqual(['breakdown']);
    expect(Object.keys(session.result.outputs)).toHaveLength(7);
    // As children of breakdown, the subtasks got the result of what it depends on.
    for (const sub of spawned) expect(sub.inputFrom).toContain('context');
  });
});
