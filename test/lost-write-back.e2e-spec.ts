import { Stack } from './support/stack';

/**
 * A task without dependants, or whose dependants wait for it alone, completes its job without
 * waiting for its write-back's answer (see write-back.e2e-spec). Should the write-back be refused
 * and the worker die before sending it again, the task's job is completed but its result is not
 * recorded, and its parent, its dependant or (for a top-level task) the session would wait for it
 * for ever. The parent, which BullMQ runs once all its children completed, records the result
 * from the child's job instead; so does a dependant, promoted right behind the write-back, that
 * finds the task still pending; so does the session's root job for its top-level tasks, when it
 * checks on the session (twice the job lock duration after the start, here 4 s, then less and
 * less often). The worker under test drops one write-back (still promoting the dependants, as it
 * would behind a write-back that Redis refused) and kills itself half a second later
 * (SWITCHYARD_FAILPOINT=write-back-lost).
 */
describe('a write-back lost with its worker', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { SWITCHYARD_LOCK_DURATION_MS: '2000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** `notes` ran once, on the doomed worker, and its result was recorded from its job; `report`, which waited for it, ran after it. */
  async function expectRecovered(session: any, doomedPid: number): Promise<void> {
    expect(session.status).toBe('completed');
    const [notes, report] = ['notes', 'report'].map((id) => session.tasks.find((t: any) => t.id === id));
    expect(notes).toMatchObject({ status: 'completed', attempts: 1, worker: { pid: doomedPid } });
    expect(report).toMatchObject({ status: 'completed' });
    expect(session.result.outputs.notes).toEqual(expect.anything());
    expect(Date.parse(report.startedAt)).toBeGreaterThanOrEqual(Date.parse(notes.finishedAt));
    const logs = await stack.request('GET', `/api/orchestrator/sessions/${session.id}/logs?taskId=notes`);
    expect(JSON.stringify(logs.body)).toContain("its worker's write-back was lost");
  }

  it("is recovered by the parent from the child's job: the child runs once, the parent after it", async () => {
    const { session, doomed, survivor } = await stack.orchestrateThroughCrash('write-back-lost', {
      tasks: [
        { id: 'report', capabilities: ['document_creation'], children: [{ id: 'notes', capabilities: ['web_research'], input: { topic: 'rate limiters' } }] },
      ],
    });
    await expectRecovered(session, doomed.pid);
    await survivor.stop();
  });

  it("is recovered by a dependant from the task's job: the task runs once, the dependant after it", async () => {
    const { session, doomed, survivor } = await stack.orchestrateThroughCrash('write-back-lost', {
      tasks: [
        { id: 'notes', capabilities: ['web_research'], input: { topic: 'leaky buckets' } },
        { id: 'report', capabilities: ['document_creation'], dependsOn: ['notes'] },
      ],
    });
    await expectRecovered(session, doomed.pid);
    await survivor.stop();
  });

  /** A one-task session through the crash at `point`: its task ran once, on the doomed worker, and its output is in the result. */
  async function oneTaskThroughCrash(point: string, topic: string): Promise<any> {
    const { session, doomed, survivor } = await stack.orchestrateThroughCrash(point, {
      tasks: [{ id: 'notes', capabilities: ['web_research'], input: { topic } }],
    });
    await survivor.stop();
    expect(session.status).toBe('completed');
    expect(session.tasks[0]).toMatchObject({ id: 'notes', status: 'completed', attempts: 1, worker: { pid: doomed.pid } });
    expect(session.result.outputs.notes).toEqual(expect.anything());
    return session;
  }

  it("of a top-level task is recovered by the session's root job from the task's job", async () => {
    const session = await oneTaskThroughCrash('write-back-lost', 'token buckets');
    expect(session.result.final.notes).toEqual(session.result.outputs.notes);
    expect(session.result.completedTasks).toBe(1);
  });

  // Not a lost write-back: the last one landed, and its worker died before promoting the root job.
  it("(or the root job's promotion lost with the worker after it) is made up for by the root's first check", async () => {
    const session = await oneTaskThroughCrash('root-wake-lost', 'sliding windows');
    // The check came twice the lock duration (4 s) after the start, not right after the task.
    expect(Date.parse(session.finishedAt) - Date.parse(session.tasks[0].finishedAt)).toBeGreaterThan(2000);
  });
});
