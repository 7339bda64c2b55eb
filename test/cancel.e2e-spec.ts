import { Stack } from './support/stack';

describe('cancelling a session', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '3000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Jobs of a session still waiting anywhere in BullMQ (wait, prioritized, delayed lists). */
  async function queuedJobsOf(sessionId: string): Promise<string[]> {
    const found: string[] = [];
    for (const key of await stack.keys()) {
      if (key.endsWith(':wait')) found.push(...(await stack.redis.lrange(key, 0, -1)));
      if (key.endsWith(':delayed') || key.endsWith(':prioritized')) found.push(...(await stack.redis.zrange(key, '0', '-1')));
    }
    return found.filter((id) => id.startsWith(sessionId));
  }

  it('aborts running agents, removes queued work, ends cancelled and lets the keys expire', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'a', capabilities: ['web_research'] },
          { id: 'b', capabilities: ['web_research'] },
          { id: 'c', capabilities: ['document_creation'], dependsOn: ['a', 'b'] },
          { id: 'p', capabilities: ['code_review'], children: [{ id: 'child', capabilities: ['testing'], dependsOn: ['c'] }] },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.tasks.filter((t: any) => t.status === 'running').length === 2);
    expect((await queuedJobsOf(sessionId)).length).toBeGreaterThan(0);

    const cancelledAt = Date.now();
    const answer = await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sessionId, status: 'cancelled' });

    // The running agents saw their AbortSignal: both stop well before their 3 s model call ends.
    const session = await stack.waitForSession(sessionId, (s) => s.tasks.every((t: any) => t.status === 'cancelled'));
    expect(session.status).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(2500);
    const byId = Object.fromEntries(session.tasks.map((t: any) => [t.id, t]));
    for (const id of ['a', 'b']) expect(byId[id]).toMatchObject({ status: 'cancelled', error: { name: 'SessionCancelledError' } });
    for (const id of ['c', 'p', 'child']) expect(byId[id].startedAt).toBeUndefined();
    expect(await stack.workers[0].waitForLog('task aborted: session cancelled')).toContain(sessionId);

    // Its root job may pass through a queue once more on its way out (a no-op finalizer run).
    for (const deadline = Date.now() + 5000; (await queuedJobsOf(sessionId)).length > 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await queuedJobsOf(sessionId)).toEqual([]);
    const sessionKeys = (await stack.keys()).filter((k) => k.includes(`:session:${sessionId}`));
    expect(sessionKeys.length).toBeGreaterThan(0);
    for (const key of sessionKeys) expect(await stack.redis.ttl(key)).toBeGreaterThan(0);

    // Again: the same answer.
    expect((await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`)).body).toEqual({ sessionId, status: 'cancelled' });
  });

  it('refuses to cancel a finished session (409) and names an unknown one (404)', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'only', capabilities: ['web_research'] }] } });
    await stack.waitForSession(accepted.body.sessionId);
    const finished = await stack.request('DELETE', `/api/orchestrator/sessions/${accepted.body.sessionId}`);
    expect(finished.status).toBe(409);
    expect(finished.body.detail).toContain('already completed');
    const unknown = await stack.request('DELETE', '/api/orchestrator/sessions/0-00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
  });
});
