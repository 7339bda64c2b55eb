import { Injectable } from '@nestjs/common';
import type { FigureScope } from '../auth/figure-scope';
import { randomUUID } from 'node:crypto';
import { explainSelection } from '../agents/agent-selection';
import { Capability } from '../agents/capability-catalog';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { permissionRefusals } from '../agents/permission-policy';
import { AgentConflictError, AgentNotFoundError, FieldIssue, ValidationFailedError } from '../errors/errors';
import { AgentListing, agentAsSeen, AgentRecord, asCandidate, canRunTasks, StoredAgent } from './agent-record';
import { AgentRegistry } from './agent-registry.service';
import { AgentFilter, AgentRegistration, AgentSelectionRequest } from './agent-requests.schema';

export interface CapabilityListing extends Capability {
  /** How many live agents (active, hosted by a worker or remote: see {@link canRunTasks}) offer it now. */
  readonly agents: number;
}

export interface SelectionAnswer {
  readonly selected: AgentRecord | null;
  readonly rejected: { readonly agentId: string; readonly reasons: string[] }[];
}

/** The registry as the REST API offers it: list, read, register, unregister, select, catalog. */
@Injectable()
export class AgentDirectory {
  constructor(
    private readonly registry: AgentRegistry,
    private readonly catalog: CapabilityCatalog,
  ) {}

  /** The agents the filter keeps, as `scope` may see them (see {@link agentAsSeen}). */
  async list(filter: AgentFilter = {}, scope: FigureScope = 'deployment'): Promise<AgentListing[]> {
    return (await this.registry.list())
      .filter(
        (a) =>
          (!filter.type || a.type === filter.type) &&
          (!filter.capability || a.capabilities.includes(filter.capability)) &&
          (!filter.status || a.status === filter.status),
      )
      .map((a) => agentAsSeen(a, scope));
  }

  async get(id: string, scope: FigureScope = 'deployment'): Promise<AgentListing> {
    return agentAsSeen(await this.record(id), scope);
  }

  /**
   * Registers an agent run outside Switchyard's workers. Every capability must be in the catalog
   * or declared in `customCapabilities`, and allowed to its kind and permission level; it stays
   * active while it heartbeats (at least every SWITCHYARD_AGENT_TTL_MS) or polls for tasks. As a
   * remote agent it pulls `tenant`'s tasks of its capabilities over HTTP (see RemoteWork).
   */
  async register(request: AgentRegistration, tenant?: string): Promise<AgentRecord> {
    await this.catalog.refresh();
    const declared = new Map((request.customCapabilities ?? []).map((c) => [c.name, c]));
    const issues = this.unknownCapabilities(request.capabilities, declared, ', or declare it in customCapabilities');
    const policy = this.catalog.policy();
    const privileged = new Set([...policy.privileged, ...[...declared.values()].filter((c) => c.privileged).map((c) => c.name)]);
    for (const refusal of permissionRefusals(request, request.capabilities, { ...policy, privileged })) {
      issues.push({ path: 'capabilities', message: refusal });
    }
    if (issues.length > 0) throw new ValidationFailedError(issues, 'The agent cannot be registered');

    const stored: StoredAgent = {
      id: request.id ?? `${request.name}@api:${randomUUID()}`,
      name: request.name,
      type: request.type,
      kind: request.kind,
      permission: request.permission,
      capabilities: [...new Set(request.capabilities)],
      priority: request.priority,
      maxLoad: request.maxLoad,
      worker: request.worker ?? null,
      source: 'api',
      registeredAt: new Date().toISOString(),
      ...(tenant === undefined ? {} : { tenant }),
    };
    if (!(await this.registry.register(stored))) throw new AgentConflictError(stored.id);
    const used = request.capabilities.filter((c) => declared.has(c) && !this.catalog.get(c));
    if (used.length > 0) await this.catalog.add(used.map((c) => declared.get(c)!));
    return this.record(stored.id);
  }

  async unregister(id: string): Promise<{ id: string; unregistered: true }> {
    if (!(await this.registry.unregister(id))) throw new AgentNotFoundError(id);
    return { id, unregistered: true };
  }

  /** Keeps an agent alive and records its load, which may not be above its `maxLoad`. */
  async heartbeat(id: string, currentLoad?: number): Promise<AgentRecord> {
    if (currentLoad !== undefined) {
      const { maxLoad } = await this.record(id);
      if (currentLoad > maxLoad) {
        throw new ValidationFailedError(
          [{ path: 'currentLoad', message: `is ${currentLoad}, above the agent's maxLoad of ${maxLoad}` }],
          'The heartbeat is invalid',
        );
      }
    }
    if (!(await this.registry.touch(id, currentLoad))) throw new AgentNotFoundError(id);
    return this.record(id);
  }

  private async record(id: string): Promise<AgentRecord> {
    const record = await this.registry.get(id);
    if (!record) throw new AgentNotFoundError(id);
    return record;
  }

  /** The selection rule as a dry run over every registered agent. */
  async select(request: AgentSelectionRequest): Promise<SelectionAnswer> {
    await this.catalog.refresh();
    const issues = this.unknownCapabilities(request.capabilities, new Map(), '');
    if (issues.length > 0) throw new ValidationFailedError(issues, 'The selection request is invalid');
    const { selected, rejected } = explainSelection((await this.registry.list()).map(asCandidate), request, { policy: this.catalog.policy() });
    return {
      selected: selected?.record ?? null,
      rejected: rejected.map((r) => ({ agentId: r.candidate.record.id, reasons: r.reasons })),
    };
  }

  /** An issue for each capability neither in the (refreshed) catalog nor in `declared`. */
  private unknownCapabilities(names: readonly string[], declared: ReadonlyMap<string, unknown>, otherwise: string): FieldIssue[] {
    return names.flatMap((name, i) =>
      this.catalog.get(name) || declared.has(name)
        ? []
        : [{ path: `capabilities[${i}]`, message: `unknown capability "${name}": use one of GET /api/orchestrator/capabilities${otherwise}` }],
    );
  }

  async capabilities(): Promise<CapabilityListing[]> {
    const [agents] = await Promise.all([this.registry.list(), this.catalog.refresh()]);
    const live = agents.filter(canRunTasks);
    return this.catalog.list().map((c) => ({
      ...c,
      privileged: c.privileged === true,
      custom: c.custom === true,
      agents: live.filter((a) => a.capabilities.includes(c.name)).length,
    }));
  }
}
