import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RemoteAgentFailedError, RemoteLeaseConflictError, RemoteLeaseLostError } from '../errors/errors';
import { remoteKeys } from '../redis/keys';
import { claim, ClaimCall, Claimed } from './scripts/claim';
import { lease, LeaseCall, LeaseReply } from './scripts/lease';
import { park, ParkCall } from './scripts/park';
import { watch, WatchReply } from './scripts/watch';
import { withdraw } from './scripts/withdraw';

/** The task as a remote agent sees it: what a hosted agent's run gets, with the shared context. */
export interface RemoteTask {
  readonly sessionId: string;
  readonly taskId: string;
  readonly title?: string;
  readonly capabilities: readonly string[];
  readonly agentType?: string;
  readonly input: unknown;
  readonly dependencies: Readonly<Record<string, unknown>>;
  readonly missing?: readonly string[];
  readonly goal?: string;
  readonly attempt: number;
  readonly shared: Readonly<Record<string, unknown>>;
}

/** A task handed to a remote agent, and its lease on it. */
export interface RemoteAssignment {
  readonly task: RemoteTask;
  /** Carried by the agent's heartbeat, complete and fail for this task. */
  readonly leaseToken: string;
  /** When the lease lapses without a heartbeat (ISO 8601, Redis' clock). */
  readonly leaseExpiresAt: string;
}

/** What a remote agent reported: its output, or its error. */
export type RemoteOutcome =
  { readonly output: unknown } | { readonly error: { readonly message: string; readonly code?: string; readonly retryable?: boolean } };

/** The remote agent asking for work: its id, type and capabilities, and the tenant it serves. */
export interface RemoteAgentRef {
  readonly id: string;
  readonly type: string;
  readonly capabilities: readonly string[];
  readonly tenant: string;
}

/** The broker's Redis scripts (see remote/scripts), narrow so a unit test can fake them. */
export interface RemoteScripts {
  park(call: ParkCall): Promise<void>;
  claim(call: ClaimCall): Promise<Claimed | undefined>;
  lease(call: LeaseCall): Promise<LeaseReply>;
  watch(parkKey: string, keepMs: number): Promise<WatchReply>;
  withdraw(pendingKey: string, parkKey: string, parkId: string): Promise<void>;
}

export function remoteScripts(client: Redis): RemoteScripts {
  return {
    park: (call) => park(client, call),
    claim: (call) => claim(client, call),
    lease: (call) => lease(client, call),
    watch: (parkKey, keepMs) => watch(client, parkKey, keepMs),
    withdraw: (pendingKey, parkKey, parkId) => withdraw(client, pendingKey, parkKey, parkId),
  };
}

export interface RemoteBrokerOptions {
  readonly prefix: string;
  /** How long a lease lasts without a heartbeat (SWITCHYARD_REMOTE_LEASE_MS). */
  readonly leaseMs: number;
  /** How often a long poll looks for a task, and a parking worker for its outcome. */
  readonly pollMs: number;
  /** How long a park outlives its worker's last look (or its lease's expiry) before Redis drops it. */
  readonly keepMs: number;
}

/** A lease token: the park's id and the lease's secret. */
const TOKEN = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{32})$/;

/** Waits `ms`, or less if `signal` fires. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Hands tasks to remote agents (agents registered over REST that pull work over HTTP) under
 * leases kept in Redis. A worker parks a task it took from its queue and waits for the outcome
 * (see RemoteAgentProxy); the API hands a parked task to the agent that polls for it, extends
 * its lease on each heartbeat, and records its complete or fail. The worker that parked the task
 * takes that outcome and goes on through the same write-back and exception steps as for a
 * hosted agent. A lease that lapses ends the run with {@link RemoteLeaseLostError} (retryable).
 */
export class RemoteTaskBroker {
  constructor(
    private readonly scripts: RemoteScripts,
    private readonly options: RemoteBrokerOptions,
  ) {}

  /**
   * Parks `task` for the remote agents of `tenant` and waits for an agent's outcome: resolves
   * with its output, rejects with its error (a {@link RemoteAgentFailedError}), with
   * {@link RemoteLeaseLostError} when its lease lapses, or with the signal's reason when the run
   * is aborted (the task is then taken back from the agents). `onClaimed` hears which agent
   * pulled the task, once.
   */
  async run(tenant: string, task: RemoteTask, signal?: AbortSignal, onClaimed?: (agentId: string) => void): Promise<{ agentId: string; output: unknown }> {
    const { prefix, keepMs, pollMs } = this.options;
    const parkId = randomUUID();
    const pendingKey = remoteKeys.pending(prefix, tenant, task.capabilities[0]);
    const parkKey = remoteKeys.park(prefix, parkId);
    await this.scripts.park({ pendingKey, parkKey, parkId, taskId: task.taskId, task: JSON.stringify(task), ttlMs: keepMs });
    let claimed = false;
    try {
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const seen = await this.scripts.watch(parkKey, keepMs);
        if (!claimed && seen.state === 'claimed') {
          claimed = true;
          onClaimed?.(seen.agentId);
        }
        if (seen.state === 'settled') return this.outcome(task.taskId, seen.agentId, seen.outcome);
        if (seen.state === 'lost' || seen.state === 'gone') throw new RemoteLeaseLostError(task.taskId, seen.state === 'lost' ? seen.agentId : 'unknown');
        await pause(pollMs, signal);
      }
    } catch (error) {
      if (signal?.aborted) await this.scripts.withdraw(pendingKey, parkKey, parkId).catch(() => undefined);
      throw error;
    }
  }

  private outcome(taskId: string, agentId: string, json: string): { agentId: string; output: unknown } {
    const outcome = JSON.parse(json) as RemoteOutcome;
    if ('error' in outcome) throw new RemoteAgentFailedError(taskId, agentId, outcome.error.message, outcome.error);
    return { agentId, output: outcome.output };
  }

  /**
   * The oldest parked task of the agent's tenant that it can take, under a new lease; waits up to
   * `waitMs` for one (less if `signal` fires: the client went away). `undefined` when none came.
   */
  async next(agent: RemoteAgentRef, waitMs: number, signal?: AbortSignal): Promise<RemoteAssignment | undefined> {
    const { prefix, leaseMs, keepMs, pollMs } = this.options;
    const deadline = Date.now() + waitMs;
    const call = {
      pendingKeys: agent.capabilities.map((capability) => remoteKeys.pending(prefix, agent.tenant, capability)),
      parkBase: remoteKeys.parkBase(prefix),
      agentId: agent.id,
      capabilities: agent.capabilities,
      agentType: agent.type,
      leaseMs,
      keepMs,
    };
    for (;;) {
      const secret = randomBytes(24).toString('base64url');
      const claimed = await this.scripts.claim({ ...call, secret });
      if (claimed) {
        return {
          task: JSON.parse(claimed.task) as RemoteTask,
          leaseToken: `${claimed.parkId}.${secret}`,
          leaseExpiresAt: new Date(claimed.expiresAt).toISOString(),
        };
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return undefined;
      await pause(Math.min(pollMs, left), signal);
    }
  }

  /** Extends the agent's lease on the task; answers the new expiry. */
  async heartbeat(agentId: string, taskId: string, leaseToken: string): Promise<{ leaseExpiresAt: string }> {
    const expiresAt = await this.underLease(agentId, taskId, leaseToken, 'beat');
    return { leaseExpiresAt: new Date(expiresAt).toISOString() };
  }

  /** Records the agent's outcome of the task, for the worker that parked it. */
  async settle(agentId: string, taskId: string, leaseToken: string, outcome: RemoteOutcome): Promise<void> {
    await this.underLease(agentId, taskId, leaseToken, 'settle', JSON.stringify(outcome));
  }

  private async underLease(agentId: string, taskId: string, leaseToken: string, op: 'beat' | 'settle', outcome?: string): Promise<number> {
    const token = TOKEN.exec(leaseToken);
    if (!token) throw new RemoteLeaseConflictError(agentId, taskId, 'unknown');
    const { prefix, leaseMs, keepMs } = this.options;
    const reply = await this.scripts.lease({ parkKey: remoteKeys.park(prefix, token[1]), op, agentId, taskId, secret: token[2], leaseMs, keepMs, outcome });
    if (reply.status !== 'ok') throw new RemoteLeaseConflictError(agentId, taskId, reply.status);
    return reply.expiresAt;
  }
}
