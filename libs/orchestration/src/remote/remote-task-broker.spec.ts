import { RemoteAgentFailedError, RemoteLeaseConflictError, RemoteLeaseLostError, SessionCancelledError } from '../errors/errors';
import { strict } from '../testing/strict-fake';
import { RemoteScripts, RemoteTask, RemoteTaskBroker } from './remote-task-broker';
import type { WatchReply } from './scripts/watch';

const OPTIONS = { prefix: 'sy', leaseMs: 1000, pollMs: 5, keepMs: 10_000 };
const TASK: RemoteTask = {
  sessionId: '0-3f6c2a4e-8d1b-4c3a-9e2f-5b7d1a0c9e8f',
  taskId: 'translate',
  capabilities: ['translation', 'proofreading'],
  input: { text: 'Hello' },
  dependencies: {},
  attempt: 1,
  shared: {},
};
const AGENT = { id: 'translator-1', type: 'translator', capabilities: ['translation', 'proofreading'], tenant: 'acme' };
const PARK_ID = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const SECRET = 'Qm2w7RkdJ0x8f3aZbL4pVtY9uNcE1sHg';

function broker(scripts: Partial<RemoteScripts>) {
  return new RemoteTaskBroker(strict<RemoteScripts>('scripts', scripts), OPTIONS);
}

/** A watch that answers `replies` in turn (the last one for ever). */
function watching(...replies: WatchReply[]) {
  const seen: string[] = [];
  return {
    seen,
    watch: async (parkKey: string) => {
      seen.push(parkKey);
      return replies.length > 1 ? replies.shift()! : replies[0];
    },
  };
}

describe('RemoteTaskBroker, worker side (run)', () => {
  it("parks the task in its tenant's list of its first capability, then answers the agent's output", async () => {
    const parked: unknown[] = [];
    const { watch, seen } = watching(
      { state: 'pending' },
      { state: 'claimed', agentId: 'translator-1' },
      { state: 'settled', agentId: 'translator-1', outcome: '{"output":{"text":"Bonjour"}}' },
    );
    const pulled: string[] = [];
    const run = await broker({ park: async (call) => void parked.push(call), watch }).run('acme', TASK, undefined, (agentId) => pulled.push(agentId));
    expect(run).toEqual({ agentId: 'translator-1', output: { text: 'Bonjour' } });
    expect(pulled).toEqual(['translator-1']);
    expect(parked).toEqual([
      expect.objectContaining({ pendingKey: '{sy}:_sy:remote:pending:acme:translation', taskId: 'translate', task: JSON.stringify(TASK), ttlMs: 10_000 }),
    ]);
    const { parkKey } = parked[0] as { parkKey: string };
    expect(seen).toEqual([parkKey, parkKey, parkKey]);
  });

  it("fails with the agent's error, retryable unless it says otherwise", async () => {
    const failing = (error: unknown) =>
      broker({ park: async () => undefined, ...watching({ state: 'settled', agentId: 'a', outcome: JSON.stringify({ error }) }) }).run('acme', TASK);
    const retried = await failing({ message: 'model timed out' }).catch((e: unknown) => e);
    expect(retried).toBeInstanceOf(RemoteAgentFailedError);
    expect(retried).toMatchObject({ message: 'model timed out', code: 'remote_agent_failed', retryable: true, agentId: 'a', taskId: 'translate' });
    const final = await failing({ message: 'not a document', code: 'bad_document', retryable: false }).catch((e: unknown) => e);
    expect(final).toMatchObject({ code: 'bad_document', retryable: false });
  });

  it('ends the run as retryable when the lease lapsed or the park expired', async () => {
    const lost = await broker({ park: async () => undefined, ...watching({ state: 'claimed', agentId: 'a' }, { state: 'lost', agentId: 'a' }) })
      .run('acme', TASK)
      .catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(RemoteLeaseLostError);
    expect(lost).toMatchObject({ retryable: true, agentId: 'a' });
    await expect(broker({ park: async () => undefined, ...watching({ state: 'gone' }) }).run('acme', TASK)).rejects.toBeInstanceOf(RemoteLeaseLostError);
  });

  it('takes the task back from the agents when the run is aborted', async () => {
    const withdrawn: string[][] = [];
    const controller = new AbortController();
    const reason = new SessionCancelledError(TASK.sessionId);
    setTimeout(() => controller.abort(reason), 30);
    const run = broker({
      park: async () => undefined,
      ...watching({ state: 'claimed', agentId: 'a' }),
      withdraw: async (pendingKey, parkKey, parkId) => void withdrawn.push([pendingKey, parkKey, parkId]),
    }).run('acme', TASK, controller.signal);
    await expect(run).rejects.toBe(reason);
    expect(withdrawn).toHaveLength(1);
    expect(withdrawn[0][0]).toBe('{sy}:_sy:remote:pending:acme:translation');
    expect(withdrawn[0][1]).toBe(`{sy}:_sy:remote:park:${withdrawn[0][2]}`);
  });
});

describe('RemoteTaskBroker, API side (next, heartbeat, settle)', () => {
  it("claims from the tenant's list of each capability the agent has, under a token made of the park id and the lease's secret", async () => {
    const calls: { pendingKeys: readonly string[]; secret: string }[] = [];
    let tries = 0;
    const next = await broker({
      claim: async (call) => {
        calls.push(call);
        return ++tries < 3 ? undefined : { parkId: PARK_ID, task: JSON.stringify(TASK), expiresAt: Date.parse('2026-11-25T12:00:30.000Z') };
      },
    }).next(AGENT, 5000);
    expect(next).toEqual({ task: TASK, leaseToken: `${PARK_ID}.${calls[2].secret}`, leaseExpiresAt: '2026-11-25T12:00:30.000Z' });
    expect(calls[0].pendingKeys).toEqual(['{sy}:_sy:remote:pending:acme:translation', '{sy}:_sy:remote:pending:acme:proofreading']);
    expect(calls[2].secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Each try has a secret of its own: one that a failed try made is never a lease's.
    expect(new Set(calls.map((c) => c.secret)).size).toBe(3);
  });

  it('answers nothing once waitMs has passed without a task', async () => {
    const started = Date.now();
    expect(await broker({ claim: async () => undefined }).next(AGENT, 40)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it("extends a lease, or refuses one that is not the agent's with why", async () => {
    const calls: unknown[] = [];
    const expiresAt = Date.parse('2026-11-25T12:00:31.000Z');
    const ok = broker({ lease: async (call) => (calls.push(call), { status: 'ok', expiresAt }) });
    expect(await ok.heartbeat('translator-1', 'translate', `${PARK_ID}.${SECRET}`)).toEqual({ leaseExpiresAt: '2026-11-25T12:00:31.000Z' });
    expect(calls).toEqual([
      {
        parkKey: `{sy}:_sy:remote:park:${PARK_ID}`,
        op: 'beat',
        agentId: 'translator-1',
        taskId: 'translate',
        secret: SECRET,
        leaseMs: 1000,
        keepMs: 10_000,
        outcome: undefined,
      },
    ]);

    const expired = broker({ lease: async () => ({ status: 'expired', expiresAt }) });
    await expect(expired.heartbeat('translator-1', 'translate', `${PARK_ID}.${SECRET}`)).rejects.toMatchObject({ reason: 'expired' });
    const unknown = broker({ lease: async () => ({ status: 'unknown' }) });
    await expect(unknown.settle('translator-1', 'translate', `${PARK_ID}.${SECRET}`, { output: 1 })).rejects.toBeInstanceOf(RemoteLeaseConflictError);
    // A token of another shape never reaches Redis.
    await expect(broker({}).heartbeat('translator-1', 'translate', 'not-a-token')).rejects.toMatchObject({ reason: 'unknown' });
  });

  it("records the agent's outcome as JSON under its lease", async () => {
    const calls: { op: string; outcome?: string }[] = [];
    const settle = broker({ lease: async (call) => (calls.push(call), { status: 'ok', expiresAt: 0 }) });
    await settle.settle('translator-1', 'translate', `${PARK_ID}.${SECRET}`, { error: { message: 'boom', retryable: false } });
    expect(calls).toEqual([expect.objectContaining({ op: 'settle', outcome: '{"error":{"message":"boom","retryable":false}}' })]);
  });
});
