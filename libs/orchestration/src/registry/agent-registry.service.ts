import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AgentStatus } from '../agents/agent-selection';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { registryKeys } from '../redis/keys';
import { inOneWrite, repliesOrThrow, transaction } from '../adapters/ioredis';
import { RedisConnections } from '../redis/redis-connections.service';
import { AgentRecord, StoredAgent } from './agent-record';
import { heartbeat } from './scripts/heartbeat';
import { RegistryKeys, registryKeyList } from './scripts/includes';
import { purge } from './scripts/purge';
import { register } from './scripts/register';
import { snapshot } from './scripts/snapshot';
import { touch } from './scripts/touch';
import { unregister } from './scripts/unregister';

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
  private readonly keys: RegistryKeys;
  private readonly pendingLoad = new Map<string, number>();
  private loadTimer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    const p = config.prefix;
    this.keys = {
      agents: registryKeys.agents(p),
      heartbeats: registryKeys.heartbeats(p),
      loads: registryKeys.loads(p),
      statuses: registryKeys.statuses(p),
      revoked: registryKeys.revoked(p),
    };
  }

  /** Registers or renews a worker's agents in one script; answers the ids unregistered over REST. */
  async heartbeat(beats: readonly AgentBeat[]): Promise<string[]> {
    if (beats.length === 0) return [];
    // The loads written now already include every change not yet sent.
    for (const b of beats) this.pendingLoad.delete(b.agent.id);
    const agents = beats.map((b) => ({
      id: b.agent.id,
      record: JSON.stringify(b.agent),
      load: b.load,
      status: b.draining ? ('draining' as const) : ('active' as const),
      registeredAt: b.agent.registeredAt,
    }));
    return (await heartbeat(this.redis.client, { keys: this.keys, agents })).revoked;
  }

  /** Registers an agent over REST; `false` when a live agent already has its id. */
  async register(agent: StoredAgent): Promise<boolean> {
    const call = { keys: this.keys, id: agent.id, record: JSON.stringify(agent), ttlMs: this.config.agentTtlMs };
    return (await register(this.redis.client, call)).registered;
  }

  /** Renews an agent registered over REST (and sets its load, if given); `false` if unknown. */
  async touch(id: string, load?: number): Promise<boolean> {
    return (await touch(this.redis.client, { keys: this.keys, id, load })).known;
  }

  /** Unregisters an agent; its worker stops giving it tasks at its next heartbeat. `false` if unknown. */
  async unregister(id: string): Promise<boolean> {
    return (await unregister(this.redis.client, this.keys, id)).known;
  }

  /** Removes agents whose worker exits (and any revocation of them). */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    repliesOrThrow(await transaction(this.redis.client, (client) => registryKeyList(this.keys).map((key) => client.hdel(key, ...ids))));
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
    return (await purge(this.redis.client, this.keys, silentMs)).forgotten;
  }

  /** Every agent the registry knows, in id order. */
  async list(): Promise<AgentRecord[]> {
    const { agents, heartbeats: beats, loads, statuses, nowMs: now } = await snapshot(this.redis.client, this.keys);
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
