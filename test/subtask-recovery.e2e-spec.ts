import { Stack } from './support/stack';

/**
 * Spawning subtasks takes several steps (keep the decision in the job, record the subtasks,
 * enqueue their flows, make the job wait for them). A worker that dies between any two of them
 * leaves a job that runs again on another worker: it must finish the spawn, never run the agent
 * again nor finish without its subtasks. The worker under test kills itself at each step
 * (SWITCHYARD_FAILPOINT), as a machine dying right there would.
 */
describe('a worker that dies while spawning subtasks', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { SWITCHYARD_LOCK_DURATION_MS: '2000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['subtasks-decided', 'subtasks-recorded', 'subtasks-enqueued'])(
    'after "%s": the next worker finishes the spawn, each subtask runs once',
    async (point) => {
      const { session, survivor } = await stack.orchestrateThroughCrash(point, {
        tasks: [
          { id: 'breakdown', capabilities: ['task_decomposition'], input: { goal: 'Implement a rate limiter API' } },
          { id: 'wrap-up', capabilities: ['document_creation'], dependsOn: ['breakdown'] },
        ],
      });
      expect(session.status).toBe('completed');
      const byId = new Map<string, any>(session.tasks.map((t: any) => [t.id, t]));
      const spawned = session.tasks.filter((t: any) => t.id.startsWith('breakdown.'));
      expect(spawned.map((t: any) => t.id)).toEqual(['breakdown.research', 'breakdown.implement', 'breakdown.test', 'breakdown.review']);
      for (const sub of spawned) expect(sub).toMatchObject({ parentId: 'breakdown', status: 'completed', attempts: 1, worker: { pid: survivor.pid } });
      // The agent that decomposed ran once (on the doomed worker); its result is its subtasks'.
      expect(byId.get('breakdown')).toMatchObject({ status: 'completed', attempts: 1 });
      expect(Object.keys(byId.get('breakdown').output)).toEqual(spawned.map((t: any) => t.id));
      expect(Date.parse(byId.get('wrap-up').startedAt)).toBeGreaterThanOrEqual(Date.parse(byId.get('breakdown').finishedAt));
      await survivor.stop();
    },
  );
});
