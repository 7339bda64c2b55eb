import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TaskQueues } from '@switchyard/orchestration/queues/task-queues.service';
import type { RedisConnections } from '@switchyard/orchestration/redis/redis-connections.service';
import type { ShardTag } from '@switchyard/orchestration/redis/keys';
import { REDIS_URL } from './support/stack';

/**
 * The flow writer and the promotion on a connection where BullMQ has not defined its scripts yet:
 * the first thing a fresh process does may be to add a flow (a session started through the
 * library right after boot).
 */
describe('TaskQueues on a fresh connection', () => {
  const tag = `{t${randomBytes(5).toString('hex')}}` as ShardTag;
  let redis: Redis;
  let queues: TaskQueues;

  beforeEach(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queues = new TaskQueues({ client: redis } as unknown as RedisConnections);
  });
  afterEach(async () => {
    await queues.onApplicationShutdown();
    const keys = await redis.keys(`${tag}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('adds a flow as its first command, and leaves the connection usable', async () => {
    await queues.addFlow({
      name: 'root',
      queueName: 'session',
      prefix: tag,
      opts: { jobId: 'root' },
      children: [{ name: 'leaf', queueName: 'work', prefix: tag, opts: { jobId: 'leaf' } }],
    });
    expect(await redis.hget(`${tag}:work:leaf`, 'name')).toBe('leaf');
    expect(await redis.zscore(`${tag}:session:waiting-children`, 'root')).not.toBeNull();
    expect(await redis.get(`${tag}:missing`)).toBeNull();
  });

  it('promotes a delayed job, on a connection where it sent nothing before', async () => {
    const other = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const writer = new TaskQueues({ client: other } as unknown as RedisConnections);
    try {
      await writer.queue(tag, 'work').add('held', {}, { jobId: 'held', delay: 60_000 });
    } finally {
      await writer.onApplicationShutdown();
      await other.quit();
    }
    await queues.promote(tag, 'work', 'held');
    expect(await redis.lrange(`${tag}:work:wait`, 0, -1)).toEqual(['held']);
  });
});
