import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../errors/errors';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import type { Redis } from 'ioredis';

/** What `POST /orchestrate` remembers of an `Idempotency-Key`. */
interface Claim {
  readonly sessionId: string;
  /** Digest of the request it came with: the same key with another request is refused. */
  readonly request: string;
  /** `creating` until the session exists; a retry meanwhile is told to wait. */
  readonly state: 'creating' | 'created';
}

/** A claimed key carries the request's digest, for {@link IdempotencyStore.confirm}. */
export type ClaimOutcome = { readonly claimed: true; readonly request: string } | { readonly claimed: false; readonly sessionId: string };

/** JSON with object keys sorted, so two equal requests give one digest whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * How long a claim may stay `creating`. A start that neither confirms nor releases its key (the
 * API died mid-start, or Redis refused both the start and its clean-up, as when it is out of
 * memory) frees the key this soon, instead of answering 409 for the key's whole lifetime. Far
 * above the time any start takes (a plan of the largest size starts in seconds).
 */
export const CLAIM_TTL_SECONDS = 60;

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Idempotency keys of `POST /orchestrate`, per tenant: the first request with a key claims it for the
 * session it is about to create; a retry with the same key and the same request answers with that
 * session instead of starting another. Keys are stored by digest, never verbatim.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** Claims `key` for `sessionId`, or answers with the session an earlier request claimed it for. */
  async claim(tenant: string, key: string, request: unknown, sessionId: string): Promise<ClaimOutcome> {
    const at = this.keyOf(tenant, key);
    const mine: Claim = { sessionId, request: digest(canonical(request)), state: 'creating' };
    // Two tries: the earlier claim may expire between the SET and the GET.
    for (let attempt = 0; attempt < 2; attempt++) {
      const set = await this.redis.client.set(at, JSON.stringify(mine), 'EX', Math.min(CLAIM_TTL_SECONDS, this.config.idempotencyTtlSeconds), 'NX');
      if (set === 'OK') return { claimed: true, request: mine.request };
      const raw = await this.redis.client.get(at);
      if (raw === null) continue;
      const earlier = JSON.parse(raw) as Claim;
      if (earlier.request !== mine.request) throw new IdempotencyKeyReusedError(earlier.sessionId);
      if (earlier.state === 'creating') throw new IdempotencyKeyInUseError();
      return { claimed: false, sessionId: earlier.sessionId };
    }
    throw new IdempotencyKeyInUseError();
  }

  /**
   * Sends with `client`, inside the transaction that creates the session, the claim's change to
   * `created` (for the key's whole lifetime from now): the key is confirmed exactly when its
   * session exists. The session must live in {@link shardOf} the key. `request` is the digest
   * {@link claim} answered.
   */
  sendConfirm(client: Redis, tenant: string, key: string, request: string, sessionId: string): Promise<unknown>[] {
    const claim: Claim = { sessionId, request, state: 'created' };
    return [client.set(this.keyOf(tenant, key), JSON.stringify(claim), 'EX', this.config.idempotencyTtlSeconds, 'XX')];
  }

  /** The session could not be created: the key is free again (only if still ours). */
  async release(tenant: string, key: string, sessionId: string): Promise<void> {
    const at = this.keyOf(tenant, key);
    const raw = await this.redis.client.get(at);
    if (raw !== null && (JSON.parse(raw) as Claim).sessionId === sessionId) await this.redis.client.del(at);
  }

  /**
   * The shard (index) a key lives in, and where the session it starts must live, so that both go
   * to Redis in one transaction. Spread over the shards by digest, so one shard does not take
   * every key of a busy deployment.
   */
  shardOf(tenant: string, key: string): number {
    return parseInt(digest(`${tenant}\n${key}`).slice(0, 8), 16) % this.shards.count;
  }

  /** Keys are per tenant: two tenants may pick the same key without meeting. */
  private keyOf(tenant: string, key: string): string {
    const tags: ShardTag[] = this.shards.tags;
    return keys.idempotency(tags[this.shardOf(tenant, key)], digest(`${tenant}\n${key}`));
  }
}
