import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AgentStatus } from '../agents/agent-selection';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { registryKeys } from '../redis/keys';
import { hashReply, inOneWrite, repliesOrThrow, transaction } from '../adapters/ioredis';
import { RedisConnections } from '../redis/redis-connections.service';
import { AgentRecord, StoredAgent } from './agent-record';
import { HEARTBEAT, PURGE, REGISTER, SNAPSHOT, TOUCH, UNREGISTER } from './registry-scripts';

/** How long the record of an agent that went silent stays visible (as offline) before it is forgotten. */
export const OFFLINE_RETENTION_MS = 10 * 60 * 1000;

/** How long load changes are gathered before they are sent to Redis together. */
export const LOAD_FLUSH_MS = 50;

/** One agent's renewal by its worker. */
export interface AgentBeat {
  readonly agent: StoredAgent;
  readonly load: number;
  readonly draining: boolean;
}

/**
 * The agent registry, in Redis and shared by every API and worker process of the deployment:
 * one record per agent, its heartbeat, load and status. An agent is `offline` once its last
 * heartbeat is older than SWITCHYARD_AGENT_TTL_MS (judged by Redis's clock), `draining` while
 * its worker shuts down, else `active`.
 */
@Injectable()
export class AgentRegistry {
  private readonly logger = new Logger(AgentRegistry.name);
  private readonly keys: string[];
  private readonly pendingLoad = new Map<string, number>();
  private loadTimer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    const p = config.prefix;
    this.keys = [registryKeys.agents(p), registryKeys.heartbeats(p), registryKeys.loads(p), registryKeys.statuses(p), registryKeys.revoked(p)];
  }

  /** Registers or renews a worker's agents in one script; answers the ids unregistered over REST. */
  async heartbeat(beats: readonly AgentBeat[]): Promise<string[]> {
    if (beats.length === 0) return [];
    // The loads written now already include every change not yet sent.
    for (const b of beats) this.pendingLoad.delete(b.agent.id);
    const args = beats.flatMap((b) => [b.agent.id, JSON.stringify(b.agent), b.load, b.draining ? 'draining' : 'active', b.agent.registeredAt]);
    return (await HEARTBEAT.run(this.redis.client, this.keys, args)) as string[];
  }

  /** Registers an agent over REST; `false` when a live agent already has its id. */
  async register(agent: StoredAgent): Promise<boolean> {
    return (await REGISTER.run(this.redis.client, this.keys, [agent.id, JSON.stringify(agent), this.config.agentTtlMs])) === 'ok';
  }

  /** Renews an agent registered over REST (and sets its load, if given); `false` if unknown. */
  async touch(id: string, load?: number): Promise<boolean> {
    return (await TOUCH.run(this.redis.client, this.keys, [id, load === undefined ? '' : load])) === 1;
  }

  /** Unregisters an agent; its worker stops giving it tasks at its next heartbeat. `false` if unknown. */
  async unregister(id: string): Promise<boolean> {
    return (await UNREGISTER.run(this.redis.client, this.keys, [id])) === 1;
  }

  /** Removes agents whose worker exits (and any revocation of them). */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    repliesOrThrow(await transaction(this.redis.client, (client) => this.keys.map((key) => client.hdel(key, ...ids))));
  }

  /**
   * Counts a task starting (+1) or ending (-1) against an agent's load. Off the task's path:
   * changes are summed here and sent together (HINCRBY, in one pipeline) within
   * {@link LOAD_FLUSH_MS}, so a task that starts and ends in between costs nothing. Each heartbeat
   * writes the worker's own count again, so a lost update heals itself.
   */
  countLoad(id: string, delta: number): void {
    this.pendingLoad.set(id, (this.pendingLoad.get(id) ?? 0) + delta);
    if (!this.loadTimer) {
      this.loadTimer = setTimeout(() => this.flushLoad(), LOAD_FLUSH_MS);
      this.loadTimer.unref();
    }
  }

  private flushLoad(): void {
    this.loadTimer = undefined;
    const changes = [...this.pendingLoad].filter(([, delta]) => delta !== 0);
    this.pendingLoad.clear();
    if (changes.length === 0) return;
    const client = this.redis.client;
    const sent = inOneWrite(client, () => changes.map(([id, delta]) => client.hincrby(registryKeys.loads(this.config.prefix), id, delta)));
    Promise.all(sent).catch((error: Error) => this.logger.warn({ error: error.message }, 'could not count agent load changes'));
  }

  /** Forgets agents silent for `silentMs` (and revocations as old). */
  async purge(silentMs = OFFLINE_RETENTION_MS): Promise<number> {
    return (await PURGE.run(this.redis.client, this.keys, [silentMs])) as number;
  }

  /** Every agent the registry knows, in id order. */
  async list(): Promise<AgentRecord[]> {
    const replies = (await SNAPSHOT.run(this.redis.client, this.keys.slice(0, 4), [])) as unknown[];
    const [agents, beats, loads, statuses] = replies.slice(0, 4).map(hashReply);
    const time = replies[4] as [string, string];
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    return Object.keys(agents)
      .sort()
      .map((id) => {
        const stored = JSON.parse(agents[id]) as StoredAgent;
        const beat = beats[id] ? Number(beats[id]) : undefined;
        const status: AgentStatus = beat === undefined || now - beat > this.config.agentTtlMs ? 'offline' : statuses[id] === 'draining' ? 'draining' : 'active';
        return {
          ...stored,
          status,
          currentLoad: Math.max(0, Number(loads[id] ?? 0)),
          lastHeartbeat: beat === undefined ? null : new Date(beat).toISOString(),
        };
      });
  }

  async get(id: string): Promise<AgentRecord | undefined> {
    return (await this.list()).find((a) => a.id === id);
  }
}
