import { AgentDefinitionError, AgentUnavailableError, NoCapableAgentError } from '../errors/errors';
import { RunnableAgent } from './agent-contract';
import { AgentRequirement, AgentStatus, selectAgent } from './agent-selection';
import { CAPABILITY_NAME } from './capability-catalog';
import { PermissionPolicy, permissionRefusals } from './permission-policy';

interface Slot {
  readonly agent: RunnableAgent;
  readonly descriptor: RunnableAgent['descriptor'];
  status: AgentStatus;
  currentLoad: number;
  /** A stand-in for an agent registered over REST (see RemoteAgentProxy): its record is its own, not this worker's. */
  readonly remote: boolean;
}

export interface LocalAgentPoolOptions {
  /**
   * Kind and permission rules (read again at each use: custom capabilities may be marked
   * privileged at run time); an agent declaring a capability they refuse stops the worker's start.
   */
  readonly policy: () => PermissionPolicy;
  /** Told of every task start (+1) and end (-1) of an agent, to count its load in the registry. */
  readonly onLoad?: (agentId: string, delta: number) => void;
}

/**
 * The agents one worker process hosts, with their load and status in this process. Checked when
 * built: a worker with no agents, duplicate ids, malformed capabilities, or capabilities its
 * agents' kind or permission level forbids, refuses to start.
 */
export class LocalAgentPool {
  private readonly slots: Slot[];

  constructor(
    agents: readonly RunnableAgent[],
    private readonly options: LocalAgentPoolOptions,
  ) {
    if (agents.length === 0) throw new AgentDefinitionError('This worker hosts no agents; give it at least one');
    const seen = new Set<string>();
    for (const { descriptor } of agents) {
      if (seen.has(descriptor.id)) throw new AgentDefinitionError(`Two agents share the id "${descriptor.id}"`);
      seen.add(descriptor.id);
      checkDescriptor(descriptor);
    }
    this.slots = agents.map((agent) => ({ agent, descriptor: agent.descriptor, status: 'active', currentLoad: 0, remote: false }));
    this.checkPermissions();
  }

  /**
   * Adds a stand-in for an agent registered over REST (a remote agent pulling work over HTTP):
   * it is chosen by the same rule as a hosted agent, but its record in the registry is its own,
   * so it is left out of {@link agents} and {@link snapshot} (this worker's heartbeats).
   */
  addRemote(agent: RunnableAgent): void {
    if (this.slots.some((s) => s.descriptor.id === agent.descriptor.id)) throw new AgentDefinitionError(`Two agents share the id "${agent.descriptor.id}"`);
    checkDescriptor(agent.descriptor);
    this.slots.push({ agent, descriptor: agent.descriptor, status: 'active', currentLoad: 0, remote: true });
  }

  /** The ids of the remote agents' stand-ins, with their status here. */
  remotes(): { id: string; status: AgentStatus }[] {
    return this.slots.filter((s) => s.remote).map((s) => ({ id: s.descriptor.id, status: s.status }));
  }

  /** Refuses agents that declare capabilities their kind or permission level may not take. */
  checkPermissions(): void {
    const policy = this.options.policy();
    for (const { descriptor } of this.slots.filter((s) => !s.remote)) {
      const refusals = permissionRefusals(descriptor, descriptor.capabilities, policy);
      if (refusals.length > 0) throw new AgentDefinitionError(`Agent "${descriptor.id}" cannot be hosted: ${refusals.join('; ')}`);
    }
  }

  /** The agents this worker hosts (not the stand-ins of remote agents). */
  get agents(): RunnableAgent[] {
    return this.slots.filter((s) => !s.remote).map((s) => s.agent);
  }

  /** Every capability some hosted agent has: the queues this worker consumes. */
  capabilities(): string[] {
    return [...new Set(this.slots.flatMap((s) => s.descriptor.capabilities))].sort();
  }

  /** How many jobs of one capability's queue this process runs at once. */
  concurrencyFor(capability: string): number {
    return this.slots.filter((s) => s.descriptor.capabilities.includes(capability)).reduce((sum, s) => sum + s.descriptor.concurrency, 0);
  }

  /** Whether some agent here that has the capability takes new tasks. */
  takes(capability: string): boolean {
    return this.slots.some((s) => s.status === 'active' && s.descriptor.capabilities.includes(capability));
  }

  /** Each hosted agent's status and load, as this process counts them (remote agents' stand-ins left out). */
  snapshot(): { agent: RunnableAgent['descriptor']; status: AgentStatus; load: number }[] {
    return this.slots.filter((s) => !s.remote).map((s) => ({ agent: s.descriptor, status: s.status, load: s.currentLoad }));
  }

  /** Marks an agent draining (its worker shuts down) or offline (unregistered): it takes nothing new. */
  setStatus(agentId: string, status: AgentStatus): boolean {
    const slot = this.slots.find((s) => s.descriptor.id === agentId);
    if (!slot || slot.status === status) return false;
    slot.status = status;
    return true;
  }

  /**
   * Picks an agent by the selection rule and counts the task against its load; `release` undoes
   * that. Throws {@link NoCapableAgentError} when no hosted agent has what the task needs, and
   * {@link AgentUnavailableError} when the ones that do take no new tasks.
   */
  acquire(taskId: string, requirement: AgentRequirement): { agent: RunnableAgent; release: () => void } {
    const policy = this.options.policy();
    const slot =
      selectAgent(this.slots, requirement, { policy }) ??
      // Every capable agent is busy (a queue's concurrency is shared by its agents): ignore
      // capacity and take the best by priority, then load.
      selectAgent(this.slots, requirement, { policy, ignoreLoad: true });
    if (!slot) {
      const idle = this.slots.filter((s) => s.status !== 'active' && selectAgent([{ ...s, status: 'active' }], requirement, { policy, ignoreLoad: true }));
      if (idle.length > 0)
        throw new AgentUnavailableError(
          taskId,
          idle.map((s) => s.descriptor.id),
        );
      throw new NoCapableAgentError(taskId, requirement.capabilities, requirement.agentType);
    }
    slot.currentLoad += 1;
    this.options.onLoad?.(slot.descriptor.id, 1);
    let released = false;
    return {
      agent: slot.agent,
      release: () => {
        if (released) return;
        released = true;
        slot.currentLoad -= 1;
        this.options.onLoad?.(slot.descriptor.id, -1);
      },
    };
  }
}

/** Refuses a descriptor without capabilities, with malformed ones, or without a concurrency. */
function checkDescriptor(descriptor: RunnableAgent['descriptor']): void {
  if (descriptor.capabilities.length === 0) {
    throw new AgentDefinitionError(`Agent "${descriptor.id}" declares no capability`);
  }
  for (const capability of descriptor.capabilities) {
    if (!CAPABILITY_NAME.test(capability)) {
      throw new AgentDefinitionError(`Agent "${descriptor.id}" declares malformed capability "${capability}" (lower snake case, at most 63 characters)`);
    }
  }
  if (!Number.isInteger(descriptor.concurrency) || descriptor.concurrency < 1) {
    throw new AgentDefinitionError(`Agent "${descriptor.id}" needs a concurrency of at least 1`);
  }
}
