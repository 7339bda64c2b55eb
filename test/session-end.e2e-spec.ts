import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { toSwitchyardConfig, validateEnvironment } from '@switchyard/orchestration';
import { CapabilityCatalog } from '@switchyard/orchestration/agents/capability-catalog.service';
import { PlanEnqueuer } from '@switchyard/orchestration/sessions/plan-enqueuer.service';
import { TaskQueues } from '@switchyard/orchestration/queues/task-queues.service';
import { FairShare } from '@switchyard/orchestration/queues/fair-share.service';
import { RedisConnections } from '@switchyard/orchestration/redis/redis-connections.service';
import { keys } from '@switchyard/orchestration/redis/keys';
import { ShardRouter } from '@switchyard/orchestration/redis/shards';
import { SessionStore } from '@switchyard/orchestration/sessions/session.store';
import { REDIS_URL } from './support/stack';

/**
 * A session's end (SessionStore.end) cancels its tasks that had not started in the same step as
 * its status: a reader that sees the session failed or cancelled never sees one of its tasks
 * still waiting for work, and its event stream has the tasks' ends before the session's.
 */
describe("a session's end", () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  let redis: RedisConnections;
  let store: SessionStore;
  let queues: TaskQueues;
  let enqueuer: PlanEnqueuer;
  let shards: ShardRouter;
  let probe: Redis;

  beforeAll(() => {
    const config = toSwitchyardConfig(validateEnvironment({ REDIS_URL, SWITCHYARD_PREFIX: prefix, LOG_LEVEL: 'warn' }));
    redis = new RedisConnections(config);
    store = new SessionStore(redis);
    queues = new TaskQueues(redis);
    enqueuer = new PlanEnqueuer(store, queues, new FairShare(redis, config), new CapabilityCatalog(redis, config), config);
    shards = new ShardRouter(config.prefix, config.shards);
    probe = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    const doomed: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await probe.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
      doomed.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    if (doomed.length > 0) await probe.del(...doomed);
    await probe.quit();
    await queues.onApplicationShutdown();
    await redis.onApplicationShutdown();
  });

  async function started() {
    const validation = enqueuer.validate({
      tasks: [
        { id: 'done', capabilities: ['web_research'] },
        { id: 'busy', capabilities: ['web_research'] },
        { id: 'held', capabilities: ['web_research'] },
        { id: 'next', capabilities: ['document_creation'], dependsOn: ['done', 'busy'] },
      ],
    });
    if (!validation.ok) throw new Error(JSON.stringify(validation.issues));
    const sessionId = shards.newSessionId();
    const tag = shards.tagOf(sessionId)!;
    await enqueuer.start(tag, { id: sessionId, tenant: 'acme', goal: 'a report', context: {} }, validation.plan, validation.graph);
    await store.transition(tag, sessionId, ['pending'], 'running');
    await store.setTaskStatus(tag, sessionId, 'done', 'completed', { finished: true });
    await store.setTaskStatus(tag, sessionId, 'busy', 'running');
    await store.setTaskStatus(tag, sessionId, 'held', 'paused', { waitingFor: 'an operator' });
    return { tag, sessionId };
  }

  it('cancels the tasks that had not started, with the session, and answers which', async () => {
    const { tag, sessionId } = await started();
    const error = JSON.stringify({ name: 'Error', message: 'no' });

    expect(await store.end(tag, sessionId, ['running'], 'failed', { error })).toEqual(['held', 'next']);

    const view = await store.view(tag, sessionId);
    expect(view?.status).toBe('failed');
    expect(Object.fromEntries(view!.tasks.map((t) => [t.id, t.status]))).toEqual({ done: 'completed', busy: 'running', held: 'cancelled', next: 'cancelled' });
    expect(view!.tasks.find((t) => t.id === 'next')?.finishedAt).toBeDefined();

    const events = (await probe.xrange(keys.events(tag, sessionId), '-', '+')).map(([, fields]) => ({ type: fields[1], ...JSON.parse(fields[3]) }));
    expect(events.slice(-3)).toEqual([
      { type: 'task', taskId: 'held', status: 'cancelled', at: expect.any(String) },
      { type: 'task', taskId: 'next', status: 'cancelled', at: expect.any(String) },
      { type: 'session', status: 'failed', at: expect.any(String), error: { name: 'Error', message: 'no' } },
    ]);
  });

  it('changes nothing when the session is not in one of the given statuses, or does not exist', async () => {
    const { tag, sessionId } = await started();
    expect(await store.end(tag, sessionId, ['running'], 'cancelled')).toEqual(['held', 'next']);
    const events = await probe.xlen(keys.events(tag, sessionId));

    expect(await store.end(tag, sessionId, ['running'], 'failed')).toBeUndefined();
    expect(await store.end(tag, 'no-such-session', ['running'], 'failed')).toBeUndefined();
    expect((await store.view(tag, sessionId))?.status).toBe('cancelled');
    expect(await probe.xlen(keys.events(tag, sessionId))).toBe(events);
  });
});
