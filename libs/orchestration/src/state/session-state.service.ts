import { Inject, Injectable } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionFinishedError, SessionNotFoundError, StateValueError } from '../errors/errors';
import { ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import { isPlainObject, mergePatch } from './json-merge-patch';
import { PermissionLevel, StateHandle } from './state-handle';
import { decodeStored, decodeStoredHash } from './stored-value';
import { StateEngine } from './state-engine';
import { StateKeys } from './state-keys';
import { StateLocks } from './state-locks.service';
import { ScopedState, StateActor } from './scoped-state';
import { inOneWrite } from '../adapters/ioredis';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** How often a context update retries after losing a race to a concurrent writer. */
const PATCH_RETRIES = 50;

/** The operator's view of a session's state. */
export interface SessionStateView {
  readonly sessionId: string;
  readonly shared: Record<string, { value: unknown; version: number }>;
  readonly temporary: Record<string, { value: unknown; version: number; expiresInMs: number }>;
  /**
   * Private scopes: which agents have one and how many entries; their values only for admins
   * (`redacted: false` then), never for anyone else.
   */
  readonly private: (
    { agentId: string; entries: number; redacted: true } | { agentId: string; entries: number; redacted: false; values: Record<string, unknown> }
  )[];
}

/**
 * Session state: handles for agents (by their id and permission) and for the operator, the
 * operator's view, context updates from the API, and the clean-up of a finished session's state.
 */
@Injectable()
export class SessionState {
  constructor(
    private readonly redis: RedisConnections,
    private readonly locks: StateLocks,
    private readonly shards: ShardRouter,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** The state as an agent's run sees it: its own private scope, writes as its permission allows. */
  forAgent(tag: ShardTag, sessionId: string, agent: { readonly id: string; readonly permission: PermissionLevel }): StateHandle {
    return this.handle(tag, sessionId, { agentId: agent.id, label: agent.id, permission: agent.permission });
  }

  /** The state as the operator (the API) changes it: shared and temporary scopes, no private one. */
  forOperator(tag: ShardTag, sessionId: string): StateHandle {
    return this.handle(tag, sessionId, { label: 'operator', permission: 'full' });
  }

  /**
   * Applies a JSON Merge Patch to the shared scope (top-level keys set to null are removed) in a
   * transaction that locks the keys it touches; a concurrent write by an agent makes it read and
   * merge again, so neither update is lost. Answers the whole shared context.
   */
  async patchContext(sessionId: string, patch: Record<string, unknown>): Promise<Record<string, unknown>> {
    const tag = await this.existing(sessionId);
    const status = await this.redis.client.hget(new StateKeys(tag, sessionId).session, 'status');
    if (status && FINISHED.has(status)) throw new SessionFinishedError(sessionId, status, 'its context can no longer change');
    if (!isPlainObject(patch)) throw new StateValueError('(body)', 'must be a JSON object');
    const state = this.forOperator(tag, sessionId);
    const names = Object.keys(patch);
    await state.transaction(
      async (tx) => {
        for (const name of names) {
          const merged = mergePatch(await tx.get(name), patch[name]);
          if (patch[name] === null) tx.delete(name);
          else tx.set(name, merged);
        }
      },
      { lock: names, retries: PATCH_RETRIES },
    );
    return state.shared.list();
  }

  /** The operator's view: shared and temporary entries with versions, private scopes redacted unless `revealPrivate`. */
  async view(sessionId: string, options: { revealPrivate?: boolean } = {}): Promise<SessionStateView> {
    const tag = await this.existing(sessionId);
    const keys = new StateKeys(tag, sessionId);
    const client = this.redis.client;
    const [shared, indexed] = await Promise.all([client.hgetall(keys.shared), client.smembers(keys.index)]);
    const temporaryNames = indexed
      .map((k) => keys.temporaryKey(k))
      .filter((k): k is string => k !== undefined)
      .sort();
    const owners = indexed
      .map((k) => keys.privateOwner(k))
      .filter((k): k is string => k !== undefined)
      .sort();
    const rows = await Promise.all(
      inOneWrite(client, () => {
        const sent: Promise<unknown>[] = [];
        for (const name of temporaryNames) {
          const entry = keys.entry('temporary', name, undefined);
          sent.push(client.hget(entry.dataKey, entry.dataField), client.pttl(entry.dataKey));
        }
        for (const owner of owners) sent.push(options.revealPrivate ? client.hgetall(keys.privateData(owner)) : client.hlen(keys.privateData(owner)));
        return sent;
      }),
    );
    const temporary: SessionStateView['temporary'] = {};
    temporaryNames.forEach((name, i) => {
      const raw = rows[2 * i] as string | null;
      const ttl = rows[2 * i + 1] as number;
      if (raw !== null && ttl > 0) temporary[name] = { ...decodeStored(raw), expiresInMs: ttl };
    });
    const privateScopes: SessionStateView['private'] = owners
      .map((agentId, i) => {
        const row = rows[2 * temporaryNames.length + i];
        if (!options.revealPrivate) return { agentId, entries: row as number, redacted: true as const };
        const values = decodeStoredHash(row as Record<string, string>);
        return { agentId, entries: Object.keys(values).length, redacted: false as const, values };
      })
      .filter((p) => p.entries > 0);
    return {
      sessionId,
      shared: Object.fromEntries(Object.entries(shared).map(([k, v]) => [k, decodeStored(v)])),
      temporary,
      private: privateScopes,
    };
  }

  private handle(tag: ShardTag, sessionId: string, actor: StateActor): StateHandle {
    const engine = new StateEngine(this.locks.client, this.config.state, new StateKeys(tag, sessionId), this.locks.client !== this.redis.client);
    return new ScopedState(engine, this.locks, this.config.state, actor);
  }

  private async existing(sessionId: string): Promise<ShardTag> {
    const tag = this.shards.tagOf(sessionId);
    if (!tag || !(await this.redis.client.exists(new StateKeys(tag, sessionId).session))) throw new SessionNotFoundError(sessionId);
    return tag;
  }
}
