import { Redis } from 'ioredis';
import { RedisWriteBatcher, toSwitchyardConfig, validateEnvironment } from '@switchyard/orchestration';
import { SessionLogWriter } from '@switchyard/orchestration/log/session-log.writer';
import { CapabilityCatalog } from '@switchyard/orchestration/agents/capability-catalog.service';
import { PlanEnqueuer } from '@switchyard/orchestration/sessions/plan-enqueuer.service';
import { TaskQueues } from '@switchyard/orchestration/queues/task-queues.service';
import { FairShare } from '@switchyard/orchestration/queues/fair-share.service';
import { RedisConnections } from '@switchyard/orchestration/redis/redis-connections.service';
import { keys } from '@switchyard/orchestration/redis/keys';
import { ShardRouter } from '@switchyard/orchestration/redis/shards';
import { SessionStore } from '@switchyard/orchestration/sessions/session.store';
import { commandCalls, OwnRedis } from './support/redis-server';

/**
 * A session started with a plan is written in one transaction: its record, its tasks'
 * bookkeeping and its flow (PlanEnqueuer.start). A private redis-server, so that its command
 * counts and its memory limit are the test's.
 */
describe('starting a session with a plan', () => {
  let server: OwnRedis;
  let probe: Redis;
  let redis: RedisConnections;
  let store: SessionStore;
  let queues: TaskQueues;
  let enqueuer: PlanEnqueuer;
  let shards: ShardRouter;
  let log: SessionLogWriter;

  beforeAll(async () => {
    server = await OwnRedis.start();
    const config = toSwitchyardConfig(validateEnvironment({ REDIS_URL: server.url, SWITCHYARD_PREFIX: 'start', LOG_LEVEL: 'warn' }));
    redis = new RedisConnections(config);
    store = new SessionStore(redis);
    queues = new TaskQueues(redis);
    enqueuer = new PlanEnqueuer(store, queues, new FairShare(redis, config), new CapabilityCatalog(redis, config), config);
    shards = new ShardRouter(config.prefix, config.shards);
    log = new SessionLogWriter(new RedisWriteBatcher(redis, config), config);
    probe = new Redis(server.url);
  });

  afterAll(async () => {
    await probe?.quit();
    await queues?.onApplicationShutdown();
    await redis?.onApplicationShutdown();
    await server?.destroy();
  });

  const start = async () => {
    const validation = enqueuer.validate({
      tasks: [
        { id: 'collect', capabilities: ['web_research'] },
        { id: 'write', capabilities: ['document_creation'], dependsOn: ['collect'] },
      ],
    });
    if (!validation.ok) throw new Error(JSON.stringify(validation.issues));
    const sessionId = shards.newSessionId();
    const tag = shards.tagOf(sessionId)!;
    const entry = { level: 'info' as const, source: 'orchestrator' as const, sessionId, message: 'session accepted' };
    const started = enqueuer.start(
      tag,
      { id: sessionId, tenant: 'acme', goal: 'a report', context: { topic: 'tides' } },
      validation.plan,
      validation.graph,
      (client) => log.sendWith(client, tag, entry, true),
    );
    return { sessionId, tag, graph: validation.graph, started };
  };

  it("writes the session, its first log entry, its tasks' bookkeeping and its jobs in one MULTI", async () => {
    await (
      await start()
    ).started; // BullMQ's scripts and ours loaded
    await probe.config('RESETSTAT');
    const { sessionId, tag, started } = await start();
    await started;
    const counted = await commandCalls(probe);
    expect(counted.multi).toBe(1);
    expect(counted.exec).toBe(1);

    const view = await store.view(tag, sessionId);
    expect(view).toMatchObject({ status: 'pending', goal: 'a report' });
    expect(view!.tasks.map((t) => [t.id, t.status])).toEqual([
      ['collect', 'ready'],
      ['write', 'waiting'],
    ]);
    expect(await queues.queue(tag, 'web_research').getJobState(`${sessionId}.t.collect`)).toBe('prioritized');
    expect(await queues.queue(tag, 'document_creation').getJobState(`${sessionId}.t.write`)).toBe('delayed');
    const entries = await probe.xrange(keys.log(tag, sessionId), '-', '+');
    expect(entries.map(([, fields]) => JSON.parse(fields[1]).message)).toEqual(['session accepted']);
  });

  it('starts once Redis lost its scripts (SCRIPT FLUSH): the jobs go again, the rest is not written twice', async () => {
    await (
      await start()
    ).started; // scripts known to the connection
    await probe.script('FLUSH');
    const { sessionId, tag, started } = await start();
    await started;
    const view = await store.view(tag, sessionId);
    expect(view!.tasks.map((t) => [t.id, t.status])).toEqual([
      ['collect', 'ready'],
      ['write', 'waiting'],
    ]);
    expect(await probe.lrange(keys.taskIds(tag, sessionId), 0, -1)).toEqual(['collect', 'write']);
    const events = await probe.xrange(keys.events(tag, sessionId), '-', '+');
    expect(events.filter(([, fields]) => fields[1] === 'session')).toHaveLength(1);
    expect((await probe.xrange(keys.log(tag, sessionId), '-', '+')).length).toBe(1);
    expect(await queues.queue(tag, 'web_research').getJobState(`${sessionId}.t.collect`)).toBe('prioritized');
    expect(await queues.queue(tag, 'document_creation').getJobState(`${sessionId}.t.write`)).toBe('delayed');
  });

  it('writes nothing at all when Redis refuses a command of it (out of memory), and says why', async () => {
    const before = new Set(await probe.keys('*'));
    await probe.config('SET', 'maxmemory', '1');
    try {
      await expect((await start()).started).rejects.toThrow(/OOM command not allowed/);
    } finally {
      await probe.config('SET', 'maxmemory', '0');
    }
    // The whole MULTI was aborted: no session hash, no log, no task, no job, not even an event.
    expect((await probe.keys('*')).filter((key) => !before.has(key))).toEqual([]);
  });
});
