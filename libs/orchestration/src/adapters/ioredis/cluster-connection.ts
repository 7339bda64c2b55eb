import { Cluster, ClusterOptions as Options, Command, Redis } from 'ioredis';
import { typeFailures } from './bounded-wait-redis';

/** Cluster options whose node connections answer as a plain Redis does (legacy reply mapping). */
type ClusterOptions = Options & { redisOptions?: Options['redisOptions'] & { replyMapping?: 'legacy' } };

/** A Redis Cluster's seed node (SWITCHYARD_REDIS_CLUSTER). */
export interface ClusterSeed {
  host: string;
  port: number;
}

/** How a cluster connection of {@link clusterConnection} behaves. */
export interface ClusterConnectionOptions {
  connectionName: string;
  /** Set for a process that answers clients: no command waits longer than this (see BoundedWaitRedis). */
  boundedWaitMs?: number;
}

/** Whether `client` is a cluster connection (an ioredis Cluster handed around as a Redis). */
export function isCluster(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/** `host:port,...` of the seeds, as errors and logs name the cluster. */
export function seedsName(seeds: readonly ClusterSeed[]): string {
  return `redis-cluster://${seeds.map((s) => `${s.host}:${s.port}`).join(',')}`;
}

/**
 * An ioredis Cluster on `seeds`, typed as the Redis every service takes: a Cluster answers the same
 * command API (keyed commands go to their slot's master; a MULTI goes through
 * {@link transaction}, which sends it as one pipeline to that master). What differs is handled
 * here and in socket-writes.ts: a Cluster has no single socket to cork, and its MULTI is a
 * pipeline. BullMQ takes a Cluster as its `connection` and duplicates it for blocking reads.
 *
 * Bounded (`boundedWaitMs`), failures to reach a node reject with {@link RedisUnavailableError}
 * as BoundedWaitRedis does, and no command waits in an offline queue.
 */
export function clusterConnection(seeds: readonly ClusterSeed[], options: ClusterConnectionOptions): Redis {
  const bounded = options.boundedWaitMs !== undefined;
  const redisOptions: ClusterOptions['redisOptions'] = bounded
    ? { connectionName: options.connectionName, commandTimeout: options.boundedWaitMs, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false }
    : // Required by BullMQ: its blocking commands must never give up on their own.
      { connectionName: options.connectionName, maxRetriesPerRequest: null };
  const clusterOptions: ClusterOptions = {
    redisOptions,
    // Masters that join or leave are learnt from CLUSTER SLOTS on every MOVED and here, at least
    // every few seconds.
    slotsRefreshInterval: 5000,
    enableOfflineQueue: !bounded,
    ...(bounded ? {} : { maxRedirections: 16 }),
  };
  const cluster = bounded
    ? new BoundedWaitCluster(seeds, clusterOptions, options.boundedWaitMs as number)
    : new Cluster(seeds as ClusterSeed[], clusterOptions);
  // Without an offline queue, a command for a master whose connection is still opening is sent to
  // a random node instead, which answers MOVED: open each master's connection as it is learnt.
  if (bounded) cluster.on('+node', (node: Redis) => void open(node).catch(() => undefined));
  return cluster as unknown as Redis;
}

/** Opens `node`'s connection (a Cluster opens its nodes' on their first command) and resolves once it is ready. */
function open(node: Redis): Promise<void> {
  if (node.status === 'ready') return Promise.resolve();
  if (node.status === 'wait') return node.connect();
  return new Promise((resolve) => node.once('ready', () => resolve()));
}

/**
 * Resolves once the connection to every master of the cluster `client` is open. Until then a
 * bounded cluster connection (no offline queue) sends a command for a master whose connection is
 * still opening to a random node, which answers MOVED: the process must not use it before.
 */
export async function connectMasters(client: Redis): Promise<void> {
  await Promise.all((client as unknown as Cluster).nodes('master').map(open));
}

/** The Cluster counterpart of BoundedWaitRedis: a failure without a reply from Redis is a RedisUnavailableError. */
class BoundedWaitCluster extends Cluster {
  private readonly name: string;
  private readonly retryAfterSeconds: number;

  constructor(
    seeds: readonly ClusterSeed[],
    options: ClusterOptions,
    private readonly waitMs: number,
  ) {
    super(seeds as ClusterSeed[], options);
    this.name = seedsName(seeds);
    this.retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  }

  override sendCommand(command: Command, stream?: Parameters<Cluster['sendCommand']>[1], node?: Parameters<Cluster['sendCommand']>[2]): unknown {
    typeFailures(command, { target: this.name, ready: () => this.status === 'ready', waitMs: this.waitMs, retryAfterSeconds: this.retryAfterSeconds });
    return super.sendCommand(command, stream, node);
  }
}

/** One range of slots and the master that serves it (CLUSTER SLOTS), the master as `host:port`. */
export interface SlotRange {
  first: number;
  last: number;
  master: string;
}

/** The cluster's slot ranges and their masters, as CLUSTER SLOTS answers now. */
export async function slotRanges(client: Redis): Promise<SlotRange[]> {
  const reply = await client.cluster('SLOTS');
  return reply.map(([first, last, [host, port]]) => ({ first, last, master: `${host}:${port}` }));
}

/**
 * Calls `changed` when the cluster's masters may have changed: ioredis learns a node joined or
 * left (`+node`, `-node`, after a MOVED or its periodic CLUSTER SLOTS refresh). Answers a function
 * that stops listening.
 */
export function onTopologyChange(client: Redis, changed: () => void): () => void {
  const cluster = client as unknown as Cluster;
  cluster.on('+node', changed);
  cluster.on('-node', changed);
  return () => {
    cluster.off('+node', changed);
    cluster.off('-node', changed);
  };
}
