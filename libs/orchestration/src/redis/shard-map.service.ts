import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { onTopologyChange, slotRanges } from '../adapters/ioredis';
import { loggableUrl } from '../logging/loggable-url';
import { RedisConnections } from './redis-connections.service';
import { ShardRouter } from './shards';

/** Where one shard lives: its hash tag, that tag's slot and the master serving the slot. */
export interface ShardPlacement {
  readonly shard: number;
  readonly tag: string;
  /** The tag's Redis Cluster slot (CLUSTER KEYSLOT); null on one Redis. */
  readonly slot: number | null;
  /** The master serving the slot (`host:port`), or the one Redis (REDIS_URL without its password). */
  readonly node: string;
}

/** The shard → node map, as logged at start and shown in `GET /api/orchestrator/stats`. */
export interface ShardMapView {
  readonly mode: 'cluster' | 'single';
  readonly shards: readonly ShardPlacement[];
  /** Every master (on one Redis, that Redis). */
  readonly masters: readonly string[];
  /**
   * Masters no shard lives on: they hold none of the sessions' work. Empty when there are at least
   * as many shards as masters, unless masters joined after the tags were chosen (see
   * docs/redis-cluster.md).
   */
  readonly idleMasters: readonly string[];
  readonly readAt: string;
}

/** How often the map is read again even when no node was seen joining or leaving. */
const REREAD_EVERY_MS = 60_000;

/**
 * Knows which master serves each shard. A shard's tag never changes once chosen (its sessions'
 * keys carry it; see shard-tags.ts), but the master serving its slot does when slots move
 * (resharding, a failover, masters added): the map is read again when ioredis sees a node join or
 * leave (it refreshes CLUSTER SLOTS after a MOVED and every few seconds), and once a minute in any
 * case.
 */
@Injectable()
export class ShardMap implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ShardMap.name);
  private view?: ShardMapView;
  private slots?: number[];
  private timer?: NodeJS.Timeout;
  private stopListening?: () => void;
  private reading?: Promise<ShardMapView>;

  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.redis.cluster) {
      this.stopListening = onTopologyChange(this.redis.client, () => void this.reread());
      this.timer = setInterval(() => void this.reread(), REREAD_EVERY_MS);
      this.timer.unref();
    }
    let view: ShardMapView;
    try {
      view = await this.read();
    } catch (error) {
      // Not worth failing the start for: it is read again within a minute.
      this.logger.warn(`shard map not read: ${(error as Error).message}`);
      return;
    }
    this.logger.log({ shards: view.shards.map((s) => `${s.tag}=${s.node}`), idleMasters: view.idleMasters }, 'shard map');
    this.warnIdle(view);
  }

  /** Warns when a master serves no shard although there are enough shards for every master. */
  private warnIdle(view: ShardMapView): void {
    if (view.idleMasters.length === 0 || this.shards.count < view.masters.length) return;
    this.logger.warn(
      `no shard lives on ${view.idleMasters.join(', ')} (a master added after the shard tags were chosen): raise SWITCHYARD_SHARDS, new shards go to the masters with the fewest, or move a shard's slot there`,
    );
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.stopListening?.();
  }

  /** The map as last read (read now if it never was). */
  async current(): Promise<ShardMapView> {
    return this.view ?? this.read();
  }

  private async reread(): Promise<void> {
    const before = this.view;
    try {
      const after = await this.read();
      const moved = after.shards.filter((s, i) => before?.shards[i]?.node !== s.node);
      const mastersChanged = before?.masters.join() !== after.masters.join();
      if (before && (moved.length > 0 || mastersChanged)) {
        this.logger.log({ moved: moved.map((s) => `${s.tag}=${s.node}`), masters: after.masters }, 'shard map changed');
        this.warnIdle(after);
      }
    } catch (error) {
      this.logger.warn(`shard map not read again: ${(error as Error).message}`);
    }
  }

  private read(): Promise<ShardMapView> {
    this.reading ??= this.load()
      .then((view) => (this.view = view))
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async load(): Promise<ShardMapView> {
    const tags = this.shards.tags;
    const readAt = new Date().toISOString();
    if (!this.redis.cluster) {
      const node = loggableUrl(this.redis.target);
      return { mode: 'single', shards: tags.map((tag, shard) => ({ shard, tag, slot: null, node })), masters: [node], idleMasters: [], readAt };
    }
    const client = this.redis.client;
    // A tag's slot never changes: asked once.
    this.slots ??= await Promise.all(tags.map(async (tag) => Number(await client.cluster('KEYSLOT', tag))));
    const ranges = await slotRanges(client);
    const masters = [...new Set(ranges.map((r) => r.master))].sort();
    const shards = tags.map((tag, shard) => {
      const slot = (this.slots as number[])[shard];
      return { shard, tag, slot, node: ranges.find((r) => r.first <= slot && slot <= r.last)?.master ?? 'unassigned' };
    });
    const used = new Set(shards.map((s) => s.node));
    return { mode: 'cluster', shards, masters, idleMasters: masters.filter((m) => !used.has(m)), readAt };
  }
}
