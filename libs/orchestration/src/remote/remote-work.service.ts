import { Inject, Injectable } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { RemoteAgentNotFoundError } from '../errors/errors';
import { AgentRecord } from '../registry/agent-record';
import { AgentRegistry } from '../registry/agent-registry.service';
import { RemoteAssignment, RemoteOutcome, RemoteTaskBroker } from './remote-task-broker';

/**
 * The API's side of remote agents: an agent registered over REST by a tenant's key pulls that
 * tenant's tasks, heartbeats them and completes or fails them under their leases. Each call keeps
 * the agent alive in the registry, as its own heartbeat would.
 */
@Injectable()
export class RemoteWork {
  constructor(
    private readonly registry: AgentRegistry,
    private readonly broker: RemoteTaskBroker,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** The next task for the agent, waiting up to `waitMs`; `undefined` when none came in time. */
  async next(agentId: string, tenant: string, waitMs: number, signal?: AbortSignal): Promise<RemoteAssignment | undefined> {
    const agent = await this.agent(agentId, tenant);
    const ref = { id: agent.id, type: agent.type, capabilities: agent.capabilities, tenant };
    // The poll counts as the agent's heartbeat: renewed before and in slices within the wait,
    // so an agent that only polls stays active.
    const slice = Math.max(100, Math.floor(this.config.agentTtlMs / 3));
    const deadline = Date.now() + waitMs;
    for (;;) {
      await this.registry.touch(agentId);
      const assignment = await this.broker.next(ref, Math.min(slice, Math.max(0, deadline - Date.now())), signal);
      if (assignment || Date.now() >= deadline || signal?.aborted) return assignment;
    }
  }

  async heartbeat(agentId: string, tenant: string, taskId: string, leaseToken: string): Promise<{ leaseExpiresAt: string }> {
    await this.agent(agentId, tenant);
    await this.registry.touch(agentId);
    return this.broker.heartbeat(agentId, taskId, leaseToken);
  }

  async settle(agentId: string, tenant: string, taskId: string, leaseToken: string, outcome: RemoteOutcome): Promise<{ taskId: string; accepted: true }> {
    await this.agent(agentId, tenant);
    await this.registry.touch(agentId);
    await this.broker.settle(agentId, taskId, leaseToken, outcome);
    return { taskId, accepted: true };
  }

  /** The agent, if the tenant registered it over REST; another tenant's or a worker's is not found. */
  private async agent(agentId: string, tenant: string): Promise<AgentRecord> {
    const record = await this.registry.get(agentId);
    if (!record || record.source !== 'api' || record.tenant !== tenant) throw new RemoteAgentNotFoundError(agentId);
    return record;
  }
}
