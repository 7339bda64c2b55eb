import { Queue } from 'bullmq';
import { authHeader } from './support/api-keys';
import { sample } from './support/prometheus';
import { Stack } from './support/stack';
import { until } from './support/until';

const API = '/api/orchestrator';

/**
 * The backlog /metrics exports per capability and shard, which KEDA scales workers on: the API
 * as a real process on the shared Redis (own prefix, two shards), work queued while no worker
 * runs, then a worker that takes it.
 */
describe('the queue backlog in /metrics', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { SWITCHYARD_SHARDS: '2' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const scrape = async () => (await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader('admin') })).text();

  it('counts prioritized and due delayed jobs per capability and shard, leaves out held ones, and ages the oldest', async () => {
    // Every task carries a BullMQ priority, so all of these wait in the prioritized set, none in
    // the wait list; `later` is held in the delayed set for its dependency and is not backlog.
    const plan = {
      tasks: [
        { id: 'a', capabilities: ['data_analysis'] },
        { id: 'b', capabilities: ['data_analysis'], priority: 9 },
        { id: 'c', capabilities: ['data_analysis'] },
        { id: 'later', capabilities: ['data_analysis'], dependsOn: ['a'] },
      ],
    };
    const started = await stack.request('POST', `${API}/orchestrate`, { plan });
    expect(started.status).toBe(202);
    const shard = started.body.sessionId.split('-')[0];
    const other = shard === '0' ? '1' : '0';
    // A job whose delay has run out waits too (BullMQ moves it to the wait list only when a worker looks).
    const queue = new Queue('web_research', { connection: stack.redis, prefix: `{${stack.prefix}-${other}}` });
    const due = await queue.add('due', {}, { delay: 1 });

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const text = await scrape();
    expect(sample(text, 'switchyard_queue_backlog', { capability: 'data_analysis', shard })).toBe(3);
    expect(sample(text, 'switchyard_queue_backlog', { capability: 'data_analysis', shard: other })).toBe(0);
    expect(sample(text, 'switchyard_queue_backlog', { capability: 'web_research', shard: other })).toBe(1);
    // Every capability of the catalog has its series in every shard, so a scaler never sees a gap.
    expect(text).toMatch(new RegExp(`^switchyard_queue_backlog\\{capability="code_review",shard="${other}"\\} 0$`, 'm'));
    const oldest = sample(text, 'switchyard_queue_oldest_waiting_seconds', { capability: 'data_analysis', shard });
    expect(oldest).toBeGreaterThanOrEqual(1.4);
    expect(oldest).toBeLessThan(30);
    expect(sample(text, 'switchyard_queue_oldest_waiting_seconds', { capability: 'web_research', shard: other })).toBeGreaterThanOrEqual(1.4);
    expect(sample(text, 'switchyard_queue_oldest_waiting_seconds', { capability: 'data_analysis', shard: other })).toBe(0);
    // The existing series stay.
    expect(sample(text, 'switchyard_queue_jobs', { queue: 'data_analysis', state: 'waiting' })).toBe(3);

    await due.remove();
    await queue.close();
    const worker = await stack.addWorker();
    expect((await stack.waitForSession(started.body.sessionId)).status).toBe('completed');
    const after = await until('the backlog to drain', async () => {
      const now = await scrape();
      return sample(now, 'switchyard_queue_backlog') === 0 ? now : undefined;
    });
    expect(sample(after, 'switchyard_queue_oldest_waiting_seconds')).toBe(0);
    await worker.stop();
  }, 60_000);

  it('ages a task held for its dependency from when it became ready, not from when its session started', async () => {
    const plan = {
      tasks: [
        { id: 'first', capabilities: ['data_analysis'] },
        { id: 'then', capabilities: ['web_research'], dependsOn: ['first'] },
      ],
    };
    const started = await stack.request('POST', `${API}/orchestrate`, { plan });
    expect(started.status).toBe(202);
    const shard = started.body.sessionId.split('-')[0];
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Only the data agent: `first` completes, `then` becomes ready and waits for a researcher.
    const dataOnly = await stack.addWorker({ SWITCHYARD_AGENTS: 'data' });
    const readyAt = await until('the dependent task to wait in its queue', async () => {
      const session = (await stack.request('GET', `${API}/sessions/${started.body.sessionId}`)).body;
      const then = session.tasks.find((t: { id: string }) => t.id === 'then');
      return then.status === 'ready' ? Date.now() : undefined;
    });
    const text = await scrape();
    expect(sample(text, 'switchyard_queue_backlog', { capability: 'web_research', shard })).toBe(1);
    const age = sample(text, 'switchyard_queue_oldest_waiting_seconds', { capability: 'web_research', shard });
    // Its job was added with the session, over 3 s ago; it has waited only since `first` finished.
    expect(age).toBeLessThan(2);
    expect(age).toBeLessThanOrEqual((Date.now() - readyAt) / 1000 + 1);
    await dataOnly.stop();
  }, 60_000);
});
