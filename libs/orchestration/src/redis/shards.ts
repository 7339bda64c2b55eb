import { randomUUID } from 'node:crypto';
import { ShardTag, shardTag } from './keys';

const SESSION_ID = /^(\d{1,4})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Chooses a shard for a new session and finds the shard of an existing one.
 * The shard index is written into the session id (`<shard>-<uuid>`), so adding shards later
 * never moves a running session. Shard i's tag is `{<prefix>-i}` on one Redis; on a Redis Cluster
 * it is the one recorded for the deployment (see shard-tags.ts), handed in as `chosen`.
 */
export class ShardRouter {
  private next = 0;
  private readonly all: readonly ShardTag[];

  constructor(prefix: string, chosen: number | readonly ShardTag[]) {
    this.all = typeof chosen === 'number' ? Array.from({ length: chosen }, (_, i) => shardTag(prefix, i)) : [...chosen];
  }

  /** How many shards the deployment has (SWITCHYARD_SHARDS). */
  get count(): number {
    return this.all.length;
  }

  /** All shard tags of the deployment, by shard index; workers consume their queues in every one. */
  get tags(): ShardTag[] {
    return [...this.all];
  }

  /** A fresh session id on shard `index`, or on the next shard (round robin). */
  newSessionId(index?: number): string {
    if (index === undefined) {
      index = this.next;
      this.next = (this.next + 1) % this.count;
    }
    return `${index}-${randomUUID()}`;
  }

  /** The shard tag of a session id, or `undefined` when the id is malformed or names no shard. */
  tagOf(sessionId: string): ShardTag | undefined {
    const match = SESSION_ID.exec(sessionId);
    if (!match) return undefined;
    const index = Number(match[1]);
    return this.all[index];
  }
}
