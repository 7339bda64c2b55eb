import { authHeader } from './support/api-keys';
import { Stack } from './support/stack';
import { StateHarness } from './support/state-harness';

/** The state routes of the API, with an agent's writes (the library, on the same Redis and prefix) alongside. */
describe('session state over the API', () => {
  let stack: Stack;
  let agents: StateHarness;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_STATE_MAX_VALUE_BYTES: '4096' } });
    agents = new StateHarness({ SWITCHYARD_PREFIX: stack.prefix });
  });
  afterAll(async () => {
    await agents?.close(false);
    await stack?.stop();
  });

  /** A session that stays open: its only task waits for an operator's approval. */
  const openSession = async (context: Record<string, unknown> = {}) => {
    const { body } = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: { tasks: [{ id: 'approve', capabilities: ['code_review'], kind: 'approval' }] },
      context,
    });
    await stack.waitForSession(body.sessionId, (s) => s.status === 'paused');
    const tag = agents.shards.tagOf(body.sessionId)!;
    return { sessionId: body.sessionId as string, tag };
  };

  it('merges a patch into the shared context and answers all of it; the session shows it', async () => {
    const { sessionId } = await openSession({ audience: 'operators', limits: { words: 2000, pages: 4 } });
    const patched = await stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, {
      limits: { pages: null, chars: 9000 },
      tone: 'plain',
      audience: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ limits: { words: 2000, chars: 9000 }, tone: 'plain' });
    expect((await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body.context).toEqual(patched.body);
  });

  it('answers 400, 404 and 409 with problem+json naming what is wrong', async () => {
    const { sessionId } = await openSession();
    const notObject = await stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, ['a']);
    expect(notObject.status).toBe(400);
    expect(notObject.contentType).toContain('application/problem+json');
    const emptyKey = await stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, { '': 1 });
    expect(emptyKey.status).toBe(400);
    expect(emptyKey.body.detail).toContain('a context key must not be empty');
    const huge = await stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, { essay: 'x'.repeat(5000) });
    expect(huge.status).toBe(400);
    expect(huge.body.errors[0]).toEqual({ path: 'shared.essay', message: 'is 5002 bytes of JSON; the limit is 4096 (SWITCHYARD_STATE_MAX_VALUE_BYTES)' });
    const unknown = '0-00000000-0000-4000-8000-000000000000';
    expect((await stack.request('PATCH', `/api/orchestrator/sessions/${unknown}/context`, { a: 1 })).status).toBe(404);
    expect((await stack.request('GET', `/api/orchestrator/sessions/${unknown}/state`)).status).toBe(404);
    expect((await stack.request('GET', '/api/orchestrator/sessions/nope/state')).status).toBe(400);
    expect((await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body.context).toEqual({});
  });

  it("never loses an agent's concurrent update to the same context key", async () => {
    const { sessionId, tag } = await openSession();
    const agent = agents.state.forAgent(tag, sessionId, { id: 'coder@test:1', permission: 'full' });
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, { notes: { [`operator${i}`]: i } })),
      ...Array.from({ length: 20 }, (_, i) => agent.shared.merge('notes', { [`agent${i}`]: i })),
    ]).then((answers) => answers.slice(0, 20).forEach((a) => expect((a as { status: number }).status).toBe(200)));
    const notes = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body.context.notes;
    expect(Object.keys(notes)).toHaveLength(40);
  });

  it('shows the state with private scopes redacted, except to admins', async () => {
    const { sessionId, tag } = await openSession({ audience: 'operators' });
    const agent = agents.state.forAgent(tag, sessionId, { id: 'researcher@test:1', permission: 'full' });
    await agent.private.set('apiToken', 'very secret');
    await agent.temporary.set('claim', 'researcher@test:1', { ttlMs: 60_000 });
    const version = await agent.shared.set('findings', ['AOF fsyncs every second']);
    for (const role of ['viewer', 'operator'] as const) {
      const { status, body } = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/state`, undefined, undefined, authHeader(role));
      expect(status).toBe(200);
      expect(JSON.stringify(body)).not.toContain('very secret');
      expect(body.shared).toEqual({ audience: { value: 'operators', version: 0 }, findings: { value: ['AOF fsyncs every second'], version } });
      expect(body.temporary.claim).toMatchObject({ value: 'researcher@test:1' });
      expect(body.private).toEqual([{ agentId: 'researcher@test:1', entries: 1, redacted: true }]);
    }
    const asAdmin = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/state`, undefined, undefined, authHeader('admin'));
    expect(asAdmin.body.private).toEqual([{ agentId: 'researcher@test:1', entries: 1, redacted: false, values: { apiToken: 'very secret' } }]);
  });

  it('gives every key of a finished session a time to live, including state written after it ended', async () => {
    const { sessionId, tag } = await openSession({ audience: 'operators' });
    const agent = agents.state.forAgent(tag, sessionId, { id: 'researcher@test:2', permission: 'full' });
    await agent.private.set('a', 1);
    await agent.temporary.set('b', 2);
    await agent.transaction(async (tx) => void tx.increment('c').append({ scope: 'private', key: 'log' }, ['x']), { lock: ['c'] });
    expect((await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`)).status).toBe(200);
    await agents.state.forAgent(tag, sessionId, { id: 'late@test:3', permission: 'full' }).private.set('late', true);
    expect((await stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, { a: 1 })).status).toBe(409);

    const sessionKeys = (await stack.keys()).filter((k) => k.includes(`:_sy:session:${sessionId}`));
    expect(sessionKeys.some((k) => k.includes(':state:private:late'))).toBe(true);
    // The shared hash, the version counter, the index, two private hashes and a temporary entry.
    expect(sessionKeys.filter((k) => k.includes(':state:')).length).toBeGreaterThanOrEqual(6);
    const ttls = await Promise.all(sessionKeys.map(async (k) => [k, await stack.redis.pttl(k)] as const));
    expect(ttls.filter(([, ttl]) => ttl <= 0)).toEqual([]);
  });
});
