import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';

/**
 * A task without dependants sends its write-back and lets BullMQ complete its job in the same
 * round trip, without waiting for the write-back's answer; a task whose dependant waits for it
 * alone promotes that dependant right behind the write-back, before knowing what it answered.
 * These tests take those paths where they can go wrong: Redis forgets the scripts (a restart or
 * SCRIPT FLUSH) while tasks run, so the write-back is refused and has to be sent again after
 * the job completed or the dependant was promoted.
 */
describe('write-backs that do not wait for their answer', () => {
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

  // One session for both paths.
  it('are sent again when Redis lost the script, and whoever waits for them runs after them', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          // Without dependants: the parent waits for its children's write-backs.
          {
            id: 'parent',
            capabilities: ['code_review'],
            children: [
              { id: 'first', capabilities: ['web_research'] },
              { id: 'second', capabilities: ['web_research'] },
            ],
          },
          { id: 'alone', capabilities: ['web_research'] },
          // With a sole dependant: b waits for a alone; c for a and b.
          { id: 'a', capabilities: ['web_research'] },
          { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
          { id: 'c', capabilities: ['web_research'], dependsOn: ['a', 'b'] },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    const sessionId = accepted.body.sessionId;
    const running = ['first', 'second', 'alone', 'a'];
    await stack.waitForSession(sessionId, (s) => running.every((id) => s.tasks.find((t: any) => t.id === id).status === 'running'));

    // The running tasks will write back with scripts Redis no longer has.
    expect(await stack.redis.script('FLUSH')).toBe('OK');

    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const byId = Object.fromEntries(session.tasks.map((t: any) => [t.id, t]));
    for (const task of session.tasks) expect(task.status).toBe('completed');
    expect(Object.keys(session.result.outputs).sort()).toEqual(['a', 'alone', 'b', 'c', 'first', 'parent', 'second']);
    for (const output of Object.values(session.result.outputs)) expect(output).not.toBeNull();
    // Each ran once what it waits for had finished.
    const after = (later: string, earlier: string) => expect(Date.parse(byId[later].startedAt)).toBeGreaterThanOrEqual(Date.parse(byId[earlier].finishedAt));
    after('parent', 'first');
    after('parent', 'second');
    after('b', 'a');
    after('c', 'b');
  });

  // ioredis would keep sending BullMQ's flow scripts by SHA inside the flow's MULTI, and fail the
  // same way until the API's connection is made again.
  it('take plans again after Redis lost its scripts: the flow is added once its scripts are loaded back', async () => {
    expect(await stack.redis.script('FLUSH')).toBe('OK');
    const plan = {
      tasks: [
        { id: 'notes', capabilities: ['web_research'] },
        { id: 'report', capabilities: ['document_creation'], dependsOn: ['notes'] },
      ],
    };
    for (let i = 0; i < 2; i++) {
      const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
      expect(accepted.status).toBe(202);
      const session = await stack.waitForSession(accepted.body.sessionId);
      expect(session.status).toBe('completed');
      expect(session.tasks.map((t: any) => [t.id, t.attempts])).toEqual([
        ['notes', 1],
        ['report', 1],
      ]);
    }
  });
});
