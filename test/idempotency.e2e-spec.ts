import { Stack } from './support/stack';

const ORCHESTRATE = '/api/orchestrator/orchestrate';
const plan = (id: string) => ({ plan: { tasks: [{ id, capabilities: ['data_analysis'], input: { n: 1 } }] } });

describe('POST /orchestrate with an Idempotency-Key', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const orchestrate = (body: unknown, key?: string) => stack.request('POST', ORCHESTRATE, body, undefined, key === undefined ? {} : { 'idempotency-key': key });

  it('answers a retry with the session the first request started, and starts no second one', async () => {
    const first = await orchestrate(plan('a'), 'retry-1');
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ sessionId: expect.any(String), status: 'pending' });
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    await stack.waitForSession(first.body.sessionId);

    // The same body with its keys in another order is the same request.
    const again = await orchestrate({ plan: { tasks: [{ input: { n: 1 }, capabilities: ['data_analysis'], id: 'a' }] } }, 'retry-1');
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ sessionId: first.body.sessionId, status: 'completed', replayed: true });
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const sessions = (await stack.keys()).filter((k) => /:_sy:session:[^:]+$/.test(k));
    expect(sessions).toEqual([expect.stringContaining(first.body.sessionId)]);
  });

  it('starts one session for concurrent requests with one key; the others are told to retry or get it', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => orchestrate(plan('b'), 'burst-1')));
    const created = answers.filter((a) => a.status === 202 && !a.body.replayed);
    expect(created).toHaveLength(1);
    for (const answer of answers) {
      if (answer.status === 202) expect(answer.body.sessionId).toBe(created[0].body.sessionId);
      else expect(answer).toMatchObject({ status: 409, body: { type: expect.stringContaining('idempotency-key-in-use') } });
    }
    const settled = await orchestrate(plan('b'), 'burst-1');
    expect(settled.body).toMatchObject({ sessionId: created[0].body.sessionId, replayed: true });
  });

  it('refuses the same key with a different body (422), and a malformed key (400)', async () => {
    const first = await orchestrate(plan('c'), 'reused-1');
    expect(first.status).toBe(202);
    const other = await orchestrate(plan('d'), 'reused-1');
    expect(other.status).toBe(422);
    expect(other.contentType).toContain('application/problem+json');
    expect(other.body.detail).toContain(first.body.sessionId);

    for (const bad of ['x'.repeat(256), 'has space', 'clé']) {
      const answer = await orchestrate(plan('e'), bad);
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ path: 'header Idempotency-Key', message: expect.stringContaining('visible ASCII') }]);
    }
  });

  it('leaves the key free when the request is invalid, so a corrected request can use it', async () => {
    const claims = async () => (await stack.keys()).filter((k) => k.includes(':_sy:idempotency:')).length;
    const before = await claims();
    const invalid = await orchestrate({ plan: { tasks: [{ id: 'x', capabilities: ['no_such_capability'] }] } }, 'fix-1');
    expect(invalid.status).toBe(400);
    expect(await claims()).toBe(before);

    const corrected = await orchestrate(plan('x'), 'fix-1');
    expect(corrected.status).toBe(202);
    expect(corrected.body.replayed).toBeUndefined();
    expect(await claims()).toBe(before + 1);
  });
});
