import { AgentDefinitionError, NoCapableAgentError } from '../errors/errors';
import { RunnableAgent } from './agent-contract';
import { AgentRequirement, selectAgent } from './agent-selection';
import { CAPABILITY_NAME } from './capability-catalog';

interface Slot {
  readonly agent: RunnableAgent;
  readonly descriptor: RunnableAgent['descriptor'];
  readonly status: 'active';
  currentLoad: number;
}

/**
 * The agents one worker process hosts, with their load in this process. Checked when built: a
 * worker with no agents, duplicate ids or malformed capabilities refuses to start.
 */
export class LocalAgentPool {
  private readonly slots: Slot[];

  constructor(agents: readonly RunnableAgent[], knownCapabilities: ReadonlySet<string>) {
    if (agents.length === 0) throw new AgentDefinitionError('This worker hosts no agents; give it at least one');
    const seen = new Set<string>();
    for (const { descriptor } of agents) {
      if (seen.has(descriptor.id)) throw new AgentDefinitionError(`Two agents share the id "${descriptor.id}"`);
      seen.add(descriptor.id);
      if (descriptor.capabilities.length === 0) {
        throw new AgentDefinitionError(`Agent "${descriptor.id}" declares no capability`);
      }
      for (const capability of descriptor.capabilities) {
        if (!CAPABILITY_NAME.test(capability) || !knownCapabilities.has(capability)) {
          throw new AgentDefinitionError(`Agent "${descriptor.id}" declares unknown capability "${capability}"`);
        }
      }
      if (!Number.isInteger(descriptor.concurrency) || descriptor.concurrency < 1) {
        throw new AgentDefinitionError(`Agent "${descriptor.id}" needs a concurrency of at least 1`);
      }
    }
    this.slots = agents.map((agent) => ({ agent, descriptor: agent.descriptor, status: 'active', currentLoad: 0 }));
  }

  get agents(): RunnableAgent[] {
    return this.slots.map((s) => s.agent);
  }

  /** Every capability some hosted agent has: the queues this worker consumes. */
  capabilities(): string[] {
    return [...new Set(this.slots.flatMap((s) => s.descriptor.capabilities))].sort();
  }

  /** How many jobs of one capability's queue this process runs at once. */
  concurrencyFor(capability: string): number {
    return this.slots
      .filter((s) => s.descriptor.capabilities.includes(capability))
      .reduce((sum, s) => sum + s.descriptor.concurrency, 0);
  }

  /**
   * Picks an agent by the selection rule and counts the task against its load; `release` undoes
   * that. Throws {@link NoCapableAgentError} when no hosted agent has what the task needs.
   */
  acquire(taskId: string, requirement: AgentRequirement): { agent: RunnableAgent; release: () => void } {
    const slot =
      selectAgent(this.slots, requirement) ??
      // Every capable agent is busy (a queue's concurrency is shared by its agents): ignore
      // capacity and take the best by priority, then load.
      selectAgent(
        this.slots.map((s) => ({ ...s, descriptor: { ...s.descriptor, concurrency: Infinity }, original: s })),
        requirement,
      )?.original;
    if (!slot) throw new NoCapableAgentError(taskId, requirement.capabilities, requirement.agentType);
    slot.currentLoad += 1;
    let released = false;
    return {
      agent: slot.agent,
      release: () => {
        if (!released) slot.currentLoad -= 1;
        released = true;
      },
    };
  }
}
