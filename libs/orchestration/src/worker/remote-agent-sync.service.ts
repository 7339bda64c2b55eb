import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { AgentRecord, descriptorOf } from '../registry/agent-record';
import { AgentRegistry } from '../registry/agent-registry.service';
import { RemoteAgentProxy } from '../remote/remote-agent-proxy';
import { RemoteTaskBroker } from '../remote/remote-task-broker';
import { WorkerHost } from './worker-host.service';

/**
 * Keeps a worker's stand-ins for the remote agents (registered over REST) in step with the
 * registry, every SWITCHYARD_HEARTBEAT_MS: a new active one gets a stand-in in the local pool and
 * its capabilities' queues are pulled; one that goes offline or is unregistered takes no new task
 * (its queues stop being pulled unless another agent here has them); one that comes back takes
 * tasks again.
 */
@Injectable()
export class RemoteAgentSync implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RemoteAgentSync.name);
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;

  constructor(
    private readonly registry: AgentRegistry,
    @Inject(LocalAgentPool) private readonly pool: LocalAgentPool,
    private readonly host: WorkerHost,
    private readonly broker: RemoteTaskBroker,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.syncing ??= this.sync()
        .catch((error: Error) => this.logger.warn({ error: error.message }, 'could not read the remote agents from the registry'))
        .finally(() => (this.syncing = undefined));
    }, this.config.heartbeatMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.syncing;
  }

  /** One look at the registry's remote agents. */
  async sync(): Promise<void> {
    const records = (await this.registry.list()).filter((r) => r.source === 'api');
    const known = new Map(this.pool.remotes().map((r) => [r.id, r.status]));
    let lost = false;
    for (const record of records) {
      const live = record.status === 'active';
      const status = known.get(record.id);
      if (live && status === undefined) this.adopt(record);
      else if (live && status !== 'active') this.revive(record);
      else if (!live && status === 'active') lost = this.drop(record.id, record.status);
    }
    for (const [id, status] of known) {
      if (status === 'active' && !records.some((r) => r.id === id)) lost = this.drop(id, 'unregistered');
    }
    if (lost) this.host.pauseUntaken();
  }

  private adopt(record: AgentRecord): void {
    this.pool.addRemote(new RemoteAgentProxy(descriptorOf(record), this.broker));
    for (const capability of record.capabilities) this.host.consume(capability);
    this.logger.log({ agentId: record.id, capabilities: record.capabilities }, 'remote agent: its tasks are parked for it to pull');
  }

  private revive(record: AgentRecord): void {
    this.pool.setStatus(record.id, 'active');
    for (const capability of record.capabilities) this.host.consume(capability);
    this.logger.log({ agentId: record.id }, 'remote agent back: it takes tasks again');
  }

  private drop(id: string, why: string): true {
    this.pool.setStatus(id, 'offline');
    this.logger.warn({ agentId: id, status: why }, 'remote agent gone: it takes no new tasks');
    return true;
  }
}
