import type { AgentDescriptor, AgentKind, PermissionLevel } from '../agents/agent-contract';
import type { AgentCandidate, AgentStatus } from '../agents/agent-selection';
import type { FigureScope } from '../auth/figure-scope';
import type { WorkerIdentity } from '../runtime/worker-identity';

/** Where a record came from: a worker process hosting the agent, or a client over REST. */
export type AgentSource = 'worker' | 'api';

/** What the registry keeps about an agent that does not change while it lives. */
export interface StoredAgent {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly kind: AgentKind;
  readonly permission: PermissionLevel;
  readonly capabilities: readonly string[];
  readonly priority: number;
  readonly maxLoad: number;
  /** The process hosting it; `null` for a record registered over REST without one. */
  readonly worker: WorkerIdentity | null;
  readonly source: AgentSource;
  readonly registeredAt: string;
  /**
   * For an agent registered over REST: the tenant of the key that registered it. As a remote
   * agent it is handed that tenant's tasks only, and only that tenant's keys reach its task routes.
   */
  readonly tenant?: string;
}

/** An agent as the registry answers it. */
export interface AgentRecord extends StoredAgent {
  readonly status: AgentStatus;
  readonly currentLoad: number;
  readonly lastHeartbeat: string | null;
}

/**
 * An agent as an answer shows it. Agents are shared by every tenant, so its load is the work of
 * all of them: only the deployment's view (admin keys) has `currentLoad`, and a remote agent's
 * `tenant` (another tenant's name is not for every key to read).
 */
export type AgentListing = Omit<AgentRecord, 'currentLoad'> & { readonly currentLoad?: number };

export function agentAsSeen(record: AgentRecord, scope: FigureScope): AgentListing {
  if (scope === 'deployment') return record;
  const { currentLoad: _load, tenant: _tenant, ...listing } = record;
  return listing;
}

/**
 * Whether the agent can take a task now: active. A worker pulls the queues of its capabilities,
 * whether it hosts the agent or, for an agent registered over REST, parks its tasks for it to pull
 * over HTTP (see RemoteAgentSync).
 */
export function canRunTasks(record: AgentRecord): boolean {
  return record.status === 'active';
}

/** A registry record's agent as the selection rule describes it (its max load as its concurrency). */
export function descriptorOf(record: StoredAgent): AgentDescriptor {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    capabilities: record.capabilities,
    concurrency: record.maxLoad,
    priority: record.priority,
    kind: record.kind,
    permission: record.permission,
  };
}

/** A registry record in the shape the selection rule takes. */
export function asCandidate(record: AgentRecord): AgentCandidate & { readonly record: AgentRecord } {
  return { record, status: record.status, currentLoad: record.currentLoad, descriptor: descriptorOf(record) };
}
