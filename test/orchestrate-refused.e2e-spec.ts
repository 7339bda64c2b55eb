import { Redis } from 'ioredis';
import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';

/**
 * A start that Redis refuses (here: out of memory) answers 503 with what to do, and leaves
 * nothing of the session behind: the session, its log, its bookkeeping and its jobs go to Redis
 * in one transaction, which Redis refuses whole. A private redis-server, whose memory limit is
 * the test's.
 */
describe('starting a session when Redis refuses writes', () => {
  let server: OwnRedis;
  let stack: Stack;
  let probe: Redis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    stack = await Stack.start({ workers: 0, redisUrl: server.url });
    probe = new Redis(server.url);
  });

  afterAll(async () => {
    await probe?.quit();
    await stack?.stop();
    await server?.destroy();
  });

  const sessionKeys = async () => (await stack.keys()).filter((key) => key.includes(':_sy:session:'));
  const plan = {
    plan: {
      tasks: [
        { id: 'collect', capabilities: ['web_research'] },
        { id: 'write', capabilities: ['document_creation'], dependsOn: ['collect'] },
      ],
    },
  };

  it('answers 503 naming the refusal and what to do, writes nothing, and starts sessions again once Redis takes writes', async () => {
    expect(await sessionKeys()).toEqual([]);
    await probe.config('SET', 'maxmemory', '1');
    try {
      for (const body of [plan, { goal: 'a short report on tides' }]) {
        const refused = await stack.request('POST', '/api/orchestrator/orchestrate', body);
        expect(refused.status).toBe(503);
        expect(refused.contentType).toContain('application/problem+json');
        expect(refused.body.detail).toContain('OOM command not allowed');
        expect(refused.body.detail).toContain('maxmemory');
      }
    } finally {
      await probe.config('SET', 'maxmemory', '0');
    }
    expect(await sessionKeys()).toEqual([]);

    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', plan);
    expect(accepted.status).toBe(202);
    const view = await stack.request('GET', `/api/orchestrator/sessions/${accepted.body.sessionId}`);
    expect(view.body.tasks.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      ['collect', 'ready'],
      ['write', 'waiting'],
    ]);
  });
});
