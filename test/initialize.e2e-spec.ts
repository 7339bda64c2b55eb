import { authHeader, TEST_API_KEYS_ENV } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { freePort } from './support/ports';
import { REDIS_URL, Stack } from './support/stack';

const INITIALIZE = '/api/orchestrator/initialize';

describe('POST /initialize', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sets the deployment up once; a second call changes nothing and says so', async () => {
    // A queue without its BullMQ metadata (as after a flush of that key): initialize writes it.
    // The API's own Queue objects write theirs as they start, which may end after it listens.
    const meta = `{${stack.prefix}-0}:web_research:meta`;
    for (const deadline = Date.now() + 10_000; (await stack.redis.exists(meta)) === 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await stack.redis.exists(meta)).toBe(1);
    await stack.redis.del(meta);

    const first = await stack.request('POST', INITIALIZE);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      changed: true,
      deployment: { prefix: stack.prefix, shards: 1, version: '0.1.0' },
      createdQueues: [`{${stack.prefix}-0} web_research`],
      queues: 21,
      capabilities: { builtin: 19, custom: 0 },
      templates: expect.arrayContaining(['research-report', 'implement-and-review', 'data-analysis']),
    });
    expect(await stack.redis.hget(meta, 'version')).toMatch(/^bullmq:/);
    expect(await stack.redis.hgetall(`{${stack.prefix}}:_sy:deployment`)).toMatchObject({ prefix: stack.prefix, shards: '1' });

    const keysBefore = (await stack.keys()).sort();
    const second = await stack.request('POST', INITIALIZE);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ changed: false, createdQueues: [], message: expect.stringContaining('nothing changed') });
    expect(second.body.deployment.initializedAt).toBe(first.body.deployment.initializedAt);
    expect((await stack.keys()).sort()).toEqual(keysBefore);
  });

  it('is for admins only', async () => {
    const answer = await stack.request('POST', INITIALIZE, undefined, undefined, authHeader('operator'));
    expect(answer.status).toBe(403);
  });

  it('refuses an API configured with another shard count than the deployment recorded (409)', async () => {
    const port = await freePort();
    const other = new AppProcess('api', {
      REDIS_URL,
      SWITCHYARD_PREFIX: stack.prefix,
      PORT: String(port),
      SWITCHYARD_SHARDS: '2',
      SWITCHYARD_API_KEYS: TEST_API_KEYS_ENV,
    });
    try {
      await other.waitForLog('api listening');
      const answer = await fetch(`http://127.0.0.1:${port}${INITIALIZE}`, { method: 'POST', headers: authHeader('admin') });
      expect(answer.status).toBe(409);
      expect(((await answer.json()) as { detail: string }).detail).toContain('initialized with 1 shard(s) but this API runs with 2: set SWITCHYARD_SHARDS=1');
    } finally {
      await other.stop();
    }
  });
});
