import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports';

const run = promisify(execFile);

/** One master of an {@link OwnRedisCluster}: its port and a plain (non-cluster) connection to it. */
export interface ClusterMaster {
  port: number;
  redis: Redis;
}

/**
 * A real Redis Cluster of the test's own: `masters` × `redis-server --cluster-enabled yes` on spare
 * ports in a temp dir, joined by `redis-cli --cluster create … --cluster-replicas 0`. Nothing is
 * mocked. Always `destroy()` it (start() stops what it started when it fails).
 */
export class OwnRedisCluster {
  private readonly children: ChildProcess[] = [];
  readonly masters: ClusterMaster[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));

  private constructor(readonly ports: number[]) {}

  static async start(masters = 3, timeoutMs = 20_000): Promise<OwnRedisCluster> {
    const ports: number[] = [];
    // Redis Cluster also binds port + 10000 for its bus: pick ports whose bus port is free too.
    while (ports.length < masters) {
      const port = await freePort();
      if (port + 10000 < 65536 && !ports.includes(port)) ports.push(port);
    }
    const cluster = new OwnRedisCluster(ports);
    try {
      await cluster.up(timeoutMs);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** `host:port,...` of every master, as SWITCHYARD_REDIS_CLUSTER takes it. */
  get seeds(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  private async up(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const port of this.ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          this.dir,
        ],
        { stdio: 'ignore' },
      );
      this.children.push(child);
    }
    for (const port of this.ports) {
      const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0, disconnectTimeout: 10 });
      redis.on('error', () => undefined);
      this.masters.push({ port, redis });
      await until(deadline, `redis-server on ${port}`, async () => {
        if (redis.status === 'wait') await redis.connect();
        return (await redis.ping()) === 'PONG';
      });
    }
    await run('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: Math.max(1000, deadline - Date.now()),
    });
    for (const { port, redis } of this.masters) {
      await until(deadline, `cluster_state:ok on ${port}`, async () => /cluster_state:ok/.test(String(await redis.cluster('INFO'))));
    }
    // Every node must know every other as a master with slots before a client may use it.
    for (const { port, redis } of this.masters) {
      await until(deadline, `${port} knowing every master`, async () => ((await redis.cluster('SLOTS')) as unknown[]).length === this.ports.length);
    }
  }

  /** Keys per master (DBSIZE), in the order of {@link ports}. */
  async keysPerMaster(): Promise<number[]> {
    return Promise.all(this.masters.map(({ redis }) => redis.dbsize()));
  }

  /** Stops every server (SIGTERM, SIGKILL after 5 s) and removes the temp dir. */
  async destroy(): Promise<void> {
    for (const { redis } of this.masters) redis.disconnect();
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function until(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Redis Cluster: no ${what} in time${last ? ` (${(last as Error).message})` : ''}`);
}

/**
 * A key prefix of the form `t<hex>` whose plain shard tags `{<prefix>-0}` … `{<prefix>-<shards-1>}`
 * do not spread evenly over the masters of `cluster` (with as many shards as masters: they leave
 * one idle): a deployment on it shows that Switchyard chooses other tags to spread them. Asks the
 * cluster itself (CLUSTER KEYSLOT, CLUSTER SLOTS).
 */
export async function prefixWithUnevenPlainTags(cluster: OwnRedisCluster, shards: number): Promise<string> {
  const redis = cluster.masters[0].redis;
  const ranges = (await redis.cluster('SLOTS')).map(([first, last, [, port]]) => ({ first, last, port }));
  for (let attempt = 0; attempt < 200; attempt++) {
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const perMaster = new Map(cluster.ports.map((port) => [port, 0]));
    for (let i = 0; i < shards; i++) {
      const slot = Number(await redis.cluster('KEYSLOT', `{${prefix}-${i}}`));
      const port = ranges.find((r) => r.first <= slot && slot <= r.last)!.port;
      perMaster.set(port, perMaster.get(port)! + 1);
    }
    if (new Set(perMaster.values()).size > 1) return prefix;
  }
  throw new Error(`no prefix found whose ${shards} plain shard tags spread unevenly over ${cluster.ports.length} masters`);
}

/** How often each master of `cluster` refused a command for crossing slots or redirected one (INFO errorstats), by port. */
export async function redirects(cluster: OwnRedisCluster): Promise<{ port: number; crossslot: number; moved: number }[]> {
  return Promise.all(
    cluster.masters.map(async ({ port, redis }) => {
      const errors = String(await redis.info('errorstats'));
      const count = (name: string) => Number(new RegExp(`errorstat_${name}:count=(\\d+)`).exec(errors)?.[1] ?? 0);
      return { port, crossslot: count('CROSSSLOT'), moved: count('MOVED') };
    }),
  );
}
