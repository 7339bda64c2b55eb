import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_URL, Stack } from './support/stack';
import { until } from './support/until';

/**
 * A job that comes back after its session finished (a stalled job BullMQ hands out again once
 * Redis returns, say) changes nothing of the session: a finished task's status never changes.
 */
describe('a stale task job replayed after its session finished', () => {
  let stack: Stack;
  let queue: Queue;
  let connection: Redis;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1 });
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue('data_analysis', { connection, prefix: `{${stack.prefix}-0}` });
  });

  afterAll(async () => {
    await queue?.close();
    connection?.disconnect();
    await stack?.stop();
  });

  it('leaves the finished task completed, with its output and finish time', async () => {
    const plan = { tasks: [{ id: 'sum', capabilities: ['data_analysis'], input: { values: [1, 2, 3] } }] };
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    const done = await stack.waitForSession(accepted.body.sessionId);
    expect(done.status).toBe('completed');
    const before = done.tasks.find((t: { id: string }) => t.id === 'sum');

    const original = await queue.getJob(`${done.sessionId}.t.sum`);
    expect(original).toBeDefined();
    const replay = await queue.add(original!.name, original!.data, { jobId: `${done.sessionId}.replayed` });
    await until('the replayed job to be processed', async () => (['completed', 'failed'].includes(await replay.getState()) ? true : undefined), 10_000);

    const after = (await stack.request('GET', `/api/orchestrator/sessions/${done.sessionId}`)).body;
    expect(after.status).toBe('completed');
    expect(after.tasks.find((t: { id: string }) => t.id === 'sum')).toEqual(before);
  });
});
