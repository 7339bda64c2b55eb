import { Inject, Injectable, Logger } from '@nestjs/common';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { currentWorker } from '../runtime/worker-identity';
import { StoredAgent } from './agent-record';
import { AgentRegistry } from './agent-registry.service';

/** Every how many heartbeats a worker forgets long-dead agents. */
const PURGE_EVERY = 12;

/**
 * A worker's agents in the registry: registered at start (with any custom capability they
 * offer), renewed every SWITCHYARD_HEARTBEAT_MS with their load, draining on shutdown, removed
 * on exit. An agent unregistered over REST is marked offline in the local pool at the next
 * heartbeat, so it takes no new task.
 */
@Injectable()
export class AgentPresence {
  private readonly logger = new Logger(AgentPresence.name);
  private readonly registeredAt = new Date().toISOString();
  private timer?: NodeJS.Timeout;
  private draining = false;
  private beating?: Promise<void>;
  private onChange: () => void = () => undefined;
  private beats = 0;
  /** When a heartbeat last reached the registry (ms since the epoch); 0 before the first. */
  private lastBeatAt = 0;

  constructor(
    private readonly registry: AgentRegistry,
    private readonly catalog: CapabilityCatalog,
    @Inject(LocalAgentPool) private readonly pool: LocalAgentPool,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** Registers the agents and starts the heartbeats; `onChange` runs when an agent's status changes. */
  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await this.catalog.refresh();
    // Custom capabilities may be marked privileged: check the agents again with the whole catalog.
    this.pool.checkPermissions();
    const custom = this.pool.capabilities().filter((c) => !this.catalog.get(c));
    if (custom.length > 0) {
      await this.catalog.add(
        custom.map((name) => ({
          name,
          description: `Offered by ${this.pool.agents
            .filter((a) => a.descriptor.capabilities.includes(name))
            .map((a) => a.descriptor.type)
            .join(', ')}`,
        })),
      );
      this.logger.log({ capabilities: custom }, 'custom capabilities added to the catalog');
    }
    await this.beat();
    this.timer = setInterval(() => {
      this.beating ??= this.beat()
        .catch((error: Error) => this.logger.warn({ error: error.message }, 'agent heartbeat failed'))
        .finally(() => (this.beating = undefined));
    }, this.config.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Whether this worker's agents are in the registry now: a heartbeat reached it within the
   * agents' time to live, and at least one of them is not offline. Why not, when they are not.
   */
  registration(now = Date.now()): { registered: true; agents: number } | { registered: false; reason: string } {
    if (this.lastBeatAt === 0) return { registered: false, reason: 'no heartbeat has reached the registry yet' };
    const age = now - this.lastBeatAt;
    if (age > this.config.agentTtlMs)
      return { registered: false, reason: `the last heartbeat reached the registry ${age} ms ago (agents expire after ${this.config.agentTtlMs} ms)` };
    const agents = this.pool.snapshot().filter((s) => s.status !== 'offline').length;
    if (agents === 0) return { registered: false, reason: 'every agent of this worker was unregistered' };
    return { registered: true, agents };
  }

  /** Marks every agent draining, here and in the registry. */
  async drain(): Promise<void> {
    this.draining = true;
    for (const { agent, status } of this.pool.snapshot()) if (status === 'active') this.pool.setStatus(agent.id, 'draining');
    await this.beating;
    await this.beat().catch((error: Error) => this.logger.warn({ error: error.message }, 'could not mark agents draining'));
  }

  /** Stops the heartbeats and removes the agents from the registry. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.registry
      .remove(this.pool.agents.map((a) => a.descriptor.id))
      .catch((error: Error) => this.logger.warn({ error: error.message }, 'could not remove agents from the registry'));
  }

  private async beat(): Promise<void> {
    const worker = currentWorker();
    const beats = this.pool
      .snapshot()
      .filter((s) => s.status !== 'offline')
      .map(({ agent, load }) => {
        const stored: StoredAgent = {
          id: agent.id,
          name: agent.name,
          type: agent.type,
          kind: agent.kind,
          permission: agent.permission,
          capabilities: agent.capabilities,
          priority: agent.priority,
          maxLoad: agent.concurrency,
          worker,
          source: 'worker',
          registeredAt: this.registeredAt,
        };
        return { agent: stored, load, draining: this.draining };
      });
    const revoked = await this.registry.heartbeat(beats);
    this.lastBeatAt = Date.now();
    let changed = false;
    for (const id of revoked) {
      if (this.pool.setStatus(id, 'offline')) {
        changed = true;
        this.logger.warn({ agentId: id }, 'agent unregistered: it takes no new tasks');
      }
    }
    if (changed) this.onChange();
    // Now and then, forget agents whose workers died long ago.
    if (this.beats++ % PURGE_EVERY === 0) await this.registry.purge();
  }
}
