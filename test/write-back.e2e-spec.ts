import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';

/**
 * A task without dependants sends its write-back and lets BullMQ complete its job in the same
 * round trip, without waiting for the write-back's answer. These tests take that path where it
 * can go wrong: Redis forgets the scripts (a restart or SCRIPT FLUSH) while tasks run, so the
 * write-back is refused and has to be sent again after the job already completed.
 */
describe('the write-back of a task that nothing depends on', () => {
  let redis: OwnRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    stack = await Stack.start({ workers: 1, redisUrl: redis.url, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '1500' } });
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.destroy();
  });

  it('is sent again when Redis lost its script, and the parent waiting for it still runs', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: { tasks: [
        { id: 'parent', capabilities: ['code_review'], children: [
          { id: 'first', capabilities: ['web_research'] },
          { id: 'second', capabilities: ['web_research'] },
        ] },
        { id: 'alone', capabilities: ['web_research'] },
      ] },
    });
    expect(accepted.status).toBe(202);
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.tasks.filter((t: any) => t.status === 'running').length === 3);

    // The three running tasks will write back with scripts Redis no longer has.
    expect(await stack.redis.script('FLUSH')).toBe('OK');

    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const byId = Object.fromEntries(session.tasks.map((t: any) => [t.id, t.status]));
    expect(byId).toEqual({ parent: 'completed', first: 'completed', second: 'completed', alone: 'completed' });
    expect(Object.keys(session.result.outputs).sort()).toEqual(['alone', 'first', 'parent', 'second']);
    for (const id of ['first', 'second', 'parent', 'alone']) expect(session.result.outputs[id]).not.toBeNull();
  });
});
