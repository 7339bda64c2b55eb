import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashApiKey, newApiKey } from '@switchyard/orchestration/auth/api-keys';
import { authHeader, TEST_API_KEYS_ENV, TEST_KEYS } from './support/api-keys';
import { Stack } from './support/stack';

/**
 * A remote agent as a Python service would be one: nothing but HTTP. It registers, long-polls
 * for its tasks, heartbeats and completes or fails them under their leases, while the API and a
 * worker run as processes on the real Redis.
 */

/** An admin key of another tenant, to show it cannot reach acme's agent or its tasks. */
const GLOBEX_ADMIN = newApiKey();
const LEASE_MS = 1500;

/** The Python agent of docs/remote-agents.md, as written there. */
const PYTHON_EXAMPLE = /```python\n([\s\S]*?)```/.exec(readFileSync(join(__dirname, '..', 'docs', 'remote-agents.md'), 'utf8'))![1];
const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;

interface Answer {
  status: number;
  contentType: string | null;
  body: any;
}

describe('remote agents over HTTP', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        SWITCHYARD_API_KEYS: `${TEST_API_KEYS_ENV},globex-admin:admin:globex:${hashApiKey(GLOBEX_ADMIN)}`,
        SWITCHYARD_REMOTE_LEASE_MS: String(LEASE_MS),
        // Workers pick a newly registered remote agent up at their next look at the registry.
        SWITCHYARD_HEARTBEAT_MS: '200',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** The remote agent's one HTTP call: JSON in, JSON (or nothing) out, bounded. */
  async function call(path: string, body?: unknown, key = TEST_KEYS.admin.key): Promise<Answer> {
    const response = await fetch(`${stack.baseUrl}/api/orchestrator${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(40_000),
    });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
  }

  let registered = 0;
  /** Registers a remote agent with a capability of its own; answers its id. */
  async function register(capability: string): Promise<string> {
    const id = `remote-${capability}-${++registered}`;
    const answer = await call('/agents', {
      id,
      name: 'translator',
      type: 'translator',
      capabilities: [capability],
      kind: 'specialised',
      permission: 'limited',
      maxLoad: 2,
      customCapabilities: [{ name: capability, description: 'Translate text', category: 'communication' }],
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ id, source: 'api', tenant: 'acme', status: 'active' });
    return id;
  }

  const next = (agentId: string, waitMs = 10_000, key?: string) => call(`/agents/${agentId}/tasks/next?waitMs=${waitMs}`, undefined, key);
  const orchestrate = async (body: unknown): Promise<string> => {
    const answer = await stack.request('POST', '/api/orchestrator/orchestrate', body);
    expect(answer.status).toBe(202);
    return answer.body.sessionId as string;
  };
  const taskOf = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
  const remoteKeys = async () => (await stack.keys()).filter((k) => k.includes(':_sy:remote:'));

  it('routes a task to the remote agent by its capability; its output completes the session', async () => {
    const agent = await register('localisation');
    const sessionId = await orchestrate({
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'], input: { topic: 'greetings' } },
          { id: 'translate', capabilities: ['localisation'], input: { text: 'Hello', to: 'fr' }, dependsOn: ['research'] },
        ],
      },
      context: { tone: 'formal' },
    });

    const got = await next(agent);
    expect(got.status).toBe(200);
    expect(got.body.task).toMatchObject({
      sessionId,
      taskId: 'translate',
      capabilities: ['localisation'],
      input: { text: 'Hello', to: 'fr' },
      attempt: 1,
      shared: { tone: 'formal' },
    });
    // Its dependency ran on a hosted agent; its result comes with the task.
    expect(Object.keys(got.body.task.dependencies)).toEqual(['research']);
    const { leaseToken, leaseExpiresAt } = got.body;
    expect(Date.parse(leaseExpiresAt)).toBeGreaterThan(Date.now());

    const running = await stack.waitForSession(sessionId, (s) => taskOf(s, 'translate')?.status === 'running');
    expect(taskOf(running, 'translate')).toMatchObject({ agentId: agent });

    // Heartbeats keep the lease past its first expiry.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, LEASE_MS / 2));
      const beat = await call(`/agents/${agent}/tasks/translate/heartbeat`, { leaseToken });
      expect(beat.status).toBe(200);
      expect(Date.parse(beat.body.leaseExpiresAt)).toBeGreaterThan(Date.now());
    }
    expect(await call(`/agents/${agent}/tasks/translate/complete`, { leaseToken, output: { text: 'Bonjour' } })).toMatchObject({
      status: 200,
      body: { taskId: 'translate', accepted: true },
    });

    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    expect(session.result.outputs.translate).toEqual({ text: 'Bonjour' });
    expect(taskOf(session, 'translate')).toMatchObject({ status: 'completed', attempts: 1, output: { text: 'Bonjour' } });
    // Settled once: the same lease again is a conflict; nothing of the hand-off stays in Redis.
    const again = await call(`/agents/${agent}/tasks/translate/complete`, { leaseToken, output: 'late' });
    expect(again.status).toBe(409);
    expect(again.contentType).toContain('application/problem+json');
    expect(await remoteKeys()).toEqual([]);
    // Nothing waiting: 204 once waitMs has passed.
    const started = Date.now();
    expect((await next(agent, 300)).status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  }, 60_000);

  it("a fail goes through the task's retries, then its failure policy", async () => {
    const agent = await register('summary');
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'sum', capabilities: ['summary'], input: 'text', attempts: 2, backoffMs: 0 }] } });
    const first = await next(agent);
    expect(first.body.task).toMatchObject({ taskId: 'sum', attempt: 1 });
    expect((await call(`/agents/${agent}/tasks/sum/fail`, { leaseToken: first.body.leaseToken, error: { message: 'model timed out' } })).status).toBe(200);
    // Retried: attempt 2 comes to the agent, which completes it.
    const second = await next(agent);
    expect(second.body.task).toMatchObject({ taskId: 'sum', attempt: 2 });
    await call(`/agents/${agent}/tasks/sum/complete`, { leaseToken: second.body.leaseToken, output: 'short' });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    expect(taskOf(session, 'sum')).toMatchObject({ status: 'completed', attempts: 2, output: 'short' });

    // Not retryable: the task fails at once, and its onFailure (fail) fails the session.
    const doomed = await orchestrate({ plan: { tasks: [{ id: 'sum', capabilities: ['summary'], attempts: 3, backoffMs: 0 }] } });
    const only = await next(agent);
    expect(only.body.task).toMatchObject({ sessionId: doomed, attempt: 1 });
    const error = { message: 'input is not a document', code: 'bad_document', retryable: false };
    expect((await call(`/agents/${agent}/tasks/sum/fail`, { leaseToken: only.body.leaseToken, error })).status).toBe(200);
    const failed = await stack.waitForSession(doomed);
    expect(failed.status).toBe('failed');
    expect(taskOf(failed, 'sum')).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { name: 'RemoteAgentFailedError', message: 'input is not a document' },
    });
  }, 60_000);

  it('a lost lease puts the task back: it runs again, and the stale token gets 409', async () => {
    const agent = await register('proofreading');
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'proof', capabilities: ['proofreading'], attempts: 2, backoffMs: 0 }] } });
    const first = await next(agent);
    expect(first.body.task).toMatchObject({ taskId: 'proof', attempt: 1 });
    // No heartbeat: the lease lapses, the worker puts the task back, and it comes again.
    const second = await next(agent, 15_000);
    expect(second.status).toBe(200);
    expect(second.body.task).toMatchObject({ taskId: 'proof', attempt: 2 });
    expect(second.body.leaseToken).not.toBe(first.body.leaseToken);

    const late = await call(`/agents/${agent}/tasks/proof/complete`, { leaseToken: first.body.leaseToken, output: 'late' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ status: 409, title: 'Lease not held' });
    expect((await call(`/agents/${agent}/tasks/proof/heartbeat`, { leaseToken: first.body.leaseToken })).status).toBe(409);

    await call(`/agents/${agent}/tasks/proof/complete`, { leaseToken: second.body.leaseToken, output: 'proofread' });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    expect(taskOf(session, 'proof')).toMatchObject({ status: 'completed', attempts: 2, output: 'proofread' });
    const logs = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?limit=200`);
    const messages = JSON.stringify(logs.body);
    expect(messages).toContain('lost its lease');
    expect(messages).toContain('waiting for a remote agent to pull the task');
    expect(messages).toContain(`pulled by remote agent ${agent}`);
  }, 60_000);

  it('keeps tenants apart and refuses bad input with a problem that names it', async () => {
    const agent = await register('lettering');
    // Another tenant's admin, and keys below admin, reach neither the agent nor its tasks.
    const foreign = await next(agent, 0, GLOBEX_ADMIN);
    expect(foreign).toMatchObject({ status: 404, body: { status: 404 } });
    expect(foreign.contentType).toContain('application/problem+json');
    expect((await next(agent, 0, TEST_KEYS.operator.key)).status).toBe(403);
    expect((await next(agent, 0, TEST_KEYS.otherOperator.key)).status).toBe(403);
    expect((await next('nobody-here', 0)).status).toBe(404);
    // Which tenant an agent serves is for admin keys to read.
    const asViewer = await stack.request('GET', `/api/orchestrator/agents/${agent}`, undefined, undefined, authHeader('viewer'));
    expect(asViewer.status).toBe(200);
    expect(asViewer.body.tenant).toBeUndefined();

    // A globex session's task never reaches acme's agent.
    const globexSession = await stack.request(
      'POST',
      '/api/orchestrator/orchestrate',
      { plan: { tasks: [{ id: 'letter', capabilities: ['lettering'] }] } },
      undefined,
      { authorization: `Bearer ${GLOBEX_ADMIN}` },
    );
    expect(globexSession.status).toBe(202);
    expect((await next(agent, 1000)).status).toBe(204);
    // Cancelled, its parked task is taken back from the agents: nothing of it stays in Redis.
    const cancelled = await stack.request('DELETE', `/api/orchestrator/sessions/${globexSession.body.sessionId}`, undefined, undefined, {
      authorization: `Bearer ${GLOBEX_ADMIN}`,
    });
    expect(cancelled.status).toBe(200);

    for (const waitMs of ['abc', '-1', '30001', '1.5']) {
      const bad = await call(`/agents/${agent}/tasks/next?waitMs=${waitMs}`);
      expect(bad.status).toBe(400);
      expect(bad.contentType).toContain('application/problem+json');
      expect(JSON.stringify(bad.body.errors)).toContain('waitMs');
    }
    expect((await call(`/agents/${agent}/tasks/next?wait=5`)).status).toBe(400);
    const badToken = await call(`/agents/${agent}/tasks/x/complete`, { leaseToken: 'nope', output: 1 });
    expect(badToken.status).toBe(400);
    expect(JSON.stringify(badToken.body.errors)).toContain('leaseToken');
    const badError = await call(`/agents/${agent}/tasks/x/fail`, { leaseToken: `${'0'.repeat(36)}.${'a'.repeat(32)}`, error: { message: '' } });
    expect(badError.status).toBe(400);
    // A well-formed token no task was handed out under: 409, and nothing was written.
    expect((await call(`/agents/${agent}/tasks/x/complete`, { leaseToken: `${'0'.repeat(36)}.${'a'.repeat(32)}`, output: 1 })).status).toBe(409);
    const ended = await stack.waitForSession(globexSession.body.sessionId, (x) => x.tasks.every((t: any) => t.status === 'cancelled'), 10_000);
    expect(ended.status).toBe('cancelled');
    for (const deadline = Date.now() + 5000; (await remoteKeys()).length > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
    expect(await remoteKeys()).toEqual([]);
  }, 60_000);

  // Without python3 (a slim image) the protocol is still driven by the fetch client above.
  (HAS_PYTHON ? it : it.skip)(
    'runs the Python agent of docs/remote-agents.md as written',
    async () => {
      const python = spawn('python3', ['-c', PYTHON_EXAMPLE], {
        env: { ...process.env, SWITCHYARD_URL: stack.baseUrl, ADMIN_KEY: TEST_KEYS.admin.key },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      python.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise((resolve) => python.once('exit', resolve));
      try {
        for (const deadline = Date.now() + 10_000; (await stack.request('GET', '/api/orchestrator/agents/translator-py')).status !== 200;) {
          if (Date.now() > deadline || python.exitCode !== null) throw new Error(`the Python agent did not register: ${stderr}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const sessionId = await orchestrate({ plan: { tasks: [{ id: 'fr', capabilities: ['translation'], input: { text: 'Hello' } }] } });
        const session = await stack.waitForSession(sessionId, undefined, 20_000);
        expect(session.status).toBe('completed');
        expect(session.result.outputs.fr).toEqual({ text: '[fr] Hello' });
        expect(stderr).toBe('');
      } finally {
        python.kill('SIGKILL');
        await exited;
      }
    },
    60_000,
  );
});
