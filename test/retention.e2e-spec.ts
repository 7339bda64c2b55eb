import { Stack } from './support/stack';

/**
 * Once a session has ended, nothing of it stays in Redis without a time to live: its own keys,
 * its state, and its BullMQ jobs (which BullMQ by itself only removes when a later job of the same
 * queue finishes past their age, so a quiet queue would keep them for ever).
 */
describe('retention of a finished session', () => {
  let stack: Stack;
  const RETENTION_S = 600;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '50', SWITCHYARD_RETENTION_S: String(RETENTION_S) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Every key of this stack that names the session (its own keys and its jobs), with its TTL in seconds. */
  async function keysOf(sessionId: string): Promise<[string, number][]> {
    const named = (await stack.keys()).filter((k) => k.includes(sessionId));
    return Promise.all(named.map(async (k) => [k, await stack.redis.ttl(k)] as [string, number]));
  }

  async function expectAllExpiring(sessionId: string): Promise<void> {
    const found = await keysOf(sessionId);
    const jobHashes = found.filter(([k]) => !k.includes(':_sy:'));
    expect(jobHashes.length).toBeGreaterThan(0);
    expect(found.filter(([, ttl]) => ttl <= 0 || ttl > RETENTION_S)).toEqual([]);
  }

  it("gives a completed session's keys and every one of its BullMQ jobs the retention as time to live", async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'] },
          {
            id: 'report',
            capabilities: ['document_creation'],
            dependsOn: ['research'],
            children: [
              { id: 'outline', capabilities: ['workflow_design'] },
              { id: 'figures', capabilities: ['data_analysis'] },
            ],
          },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    expect((await stack.waitForSession(sessionId)).status).toBe('completed');
    // The root job finishes just after the session is marked completed.
    await new Promise((r) => setTimeout(r, 300));
    const found = await keysOf(sessionId);
    // The root job, every task's job, and the parent task's list of its children's results.
    for (const job of [
      `:sy.session:${sessionId}`,
      `:web_research:${sessionId}.t.research`,
      `:document_creation:${sessionId}.t.report`,
      `:document_creation:${sessionId}.t.report:processed`,
      `:data_analysis:${sessionId}.t.figures`,
    ]) {
      expect(found.map(([k]) => k)).toContainEqual(expect.stringMatching(new RegExp(`${job.replace(/[.]/g, '\\.')}$`)));
    }
    await expectAllExpiring(sessionId);
  });

  it('does the same for a completed session whose tasks failed under `continue`, were skipped by the operator, or spawned subtasks', async () => {
    // Each task's job got its time to live when the task finished; the finalizer does not visit them.
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'flaky', capabilities: ['web_research'], timeoutMs: 1, attempts: 1, onFailure: 'continue' },
          { id: 'asks', capabilities: ['web_research'], timeoutMs: 1, attempts: 1, onFailure: 'ask' },
          {
            id: 'breakdown',
            capabilities: ['task_decomposition'],
            input: { goal: 'Implement a rate limiter API' },
            children: [{ id: 'child', capabilities: ['web_research'], timeoutMs: 1, attempts: 1, onFailure: 'continue' }],
          },
          { id: 'after', capabilities: ['document_creation'], dependsOn: ['flaky', 'asks', 'breakdown'] },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.status === 'paused');
    expect((await stack.request('POST', `/api/orchestrator/sessions/${sessionId}/tasks/asks/resolve`, { action: 'skip' })).status).toBe(200);
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const statuses = Object.fromEntries(session.tasks.map((t: any) => [t.id, t.status]));
    expect(statuses).toMatchObject({ flaky: 'failed', asks: 'skipped', child: 'failed', breakdown: 'completed', after: 'completed' });
    expect(session.tasks.filter((t: any) => t.id.startsWith('breakdown.')).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const found = (await keysOf(sessionId)).map(([k]) => k);
    for (const job of [`.t.flaky`, `.t.asks`, `.t.breakdown`, `.t.breakdown:processed`, `.t.breakdown.research`]) {
      expect(found).toContainEqual(expect.stringMatching(new RegExp(`${job.replace(/[.]/g, '\\.')}$`)));
    }
    await expectAllExpiring(sessionId);
  });

  it('does the same for a session that started from a goal (its planning job), a failed one and a cancelled one', async () => {
    const planned = await stack.request('POST', '/api/orchestrator/orchestrate', { goal: 'Write a short report on rate limiters' });
    const failing = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'hasty', capabilities: ['web_research'], timeoutMs: 1, attempts: 1 },
          { id: 'after', capabilities: ['document_creation'], dependsOn: ['hasty'] },
        ],
      },
    });
    const paused = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'first', capabilities: ['web_research'] },
          { id: 'approve', capabilities: ['code_review'], kind: 'approval', dependsOn: ['first'] },
        ],
      },
    });
    expect((await stack.waitForSession(planned.body.sessionId)).status).toBe('completed');
    await stack.waitForSession(paused.body.sessionId, (s) => s.status === 'paused');
    expect((await stack.request('DELETE', `/api/orchestrator/sessions/${paused.body.sessionId}`)).status).toBe(200);
    const failed = await stack.waitForSession(failing.body.sessionId, (s) => s.status === 'failed' && s.tasks.every((t: any) => t.status !== 'waiting'));
    expect(failed.status).toBe('failed');
    await new Promise((r) => setTimeout(r, 300));
    expect((await keysOf(planned.body.sessionId)).map(([k]) => k)).toContainEqual(expect.stringMatching(/:task_decomposition:.*\.plan$/));
    await expectAllExpiring(planned.body.sessionId);
    await expectAllExpiring(failing.body.sessionId);
    await expectAllExpiring(paused.body.sessionId);
  });
});
