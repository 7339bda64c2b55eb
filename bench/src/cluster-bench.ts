/**
 * `BENCH_ONLY=cluster npm run bench`: the same Switchyard work on one Redis and on a 3-master Redis
 * Cluster, both started here (redis-server and redis-cli on the PATH), with 1 and with 6 shards on
 * the cluster. Each target runs in a child process of its own (the configuration is read once per
 * process): the API's and a worker's modules with one no-op agent, as in the rest of the bench.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { AgentsModule, defineAgent } from '@switchyard/agents';
import { keys, OrchestrationApiModule, OrchestrationWorkerModule, RedisConnections, SessionLauncher, ShardRouter } from '@switchyard/orchestration';
import { percentile, redisCpuUs, sleep } from './harness';

const CAPABILITY = 'data_analysis';
const SESSIONS = Number(process.env.BENCH_CLUSTER_SESSIONS ?? 1000);
const DAG_TASKS = Number(process.env.BENCH_CLUSTER_DAG ?? 2000);
const IN_FLIGHT = 50;
const ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 3);

const noop = defineAgent({ id: 'noop', type: 'noop', capabilities: [CAPABILITY], concurrency: 50 }, () => Promise.resolve(null));

@Module({ imports: [OrchestrationWorkerModule.register({ agents: AgentsModule.register({ agents: [], functions: [noop] }) })] })
class ClusterBenchWorkerModule {}

/** What one target measured, per phase: time, and per Redis process its CPU time and commands. */
interface PhaseResult {
  ms: number;
  tasks: number;
  cpuUs: number[];
  commands: number[];
  /** Per Redis process, calls of each command (INFO commandstats) in the phase. */
  byCommand: Record<string, number>[];
  /** CPU time of the bench's own process (API and worker), user + system. */
  clientCpuUs: number;
}

/** Calls of each command so far (INFO commandstats), by name. */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name, n] of String(await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[name] = Number(n);
  return calls;
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
const difference = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([name, n]) => [name, n - (before[name] ?? 0)])
      .filter(([, n]) => Number(n) > 0),
  );

/** The child: runs one target's phases against the Redis its environment names, prints them as JSON. */
export async function clusterTarget(): Promise<void> {
  const seeds = (process.env.SWITCHYARD_REDIS_CLUSTER ?? '').split(',').filter(Boolean);
  const nodes = seeds.length > 0 ? seeds.map((s) => new Redis({ host: s.split(':')[0], port: Number(s.split(':')[1]) })) : [new Redis(process.env.REDIS_URL!)];
  const api = await NestFactory.createApplicationContext(OrchestrationApiModule, { logger: ['error'] });
  const worker = await NestFactory.createApplicationContext(ClusterBenchWorkerModule, { logger: ['error'] });
  const launcher = api.get(SessionLauncher);
  const client = api.get(RedisConnections).client;
  const shards = api.get(ShardRouter);
  await sleep(500);

  // Sessions finish about in the order they started: each look reads from the oldest unfinished
  // one on, a few at a time, and stops at the first still running, so that watching them costs
  // the process under test about one read a session.
  const finished = async (ids: string[]) => {
    for (let next = 0; next < ids.length;) {
      const batch = ids.slice(next, next + 50);
      const statuses = await Promise.all(batch.map((id) => client.hget(keys.session(shards.tagOf(id)!, id), 'status')));
      const running = statuses.findIndex((status) => !['completed', 'failed', 'cancelled'].includes(status ?? ''));
      next += running === -1 ? batch.length : running;
      if (running !== -1) await sleep(20);
    }
  };
  const phase = async (tasks: number, work: () => Promise<void>): Promise<PhaseResult> => {
    const [cpu0, cmd0] = [await Promise.all(nodes.map(redisCpuUs)), await Promise.all(nodes.map(commandCalls))];
    const started = performance.now();
    const clientCpu = process.cpuUsage();
    await work();
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(clientCpu);
    const [cpu1, cmd1] = [await Promise.all(nodes.map(redisCpuUs)), await Promise.all(nodes.map(commandCalls))];
    const byCommand = cmd1.map((c, i) => difference(c, cmd0[i]));
    return { ms, tasks, cpuUs: cpu1.map((c, i) => c - cpu0[i]), commands: byCommand.map(total), byCommand, clientCpuUs: user + system };
  };
  const start = async (tasks: unknown[]) => (await launcher.start({ plan: { tasks } } as never)).sessionId;

  const oneTask = await phase(SESSIONS, async () => {
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < SESSIONS) {
          next++;
          ids.push(await start([{ id: 'only', capabilities: [CAPABILITY] }]));
        }
      }),
    );
    await finished(ids);
  });
  // Groups of 10 independent tasks, each group after one task of the group before.
  const dag = Array.from({ length: DAG_TASKS }, (_, i) => {
    const group = Math.floor(i / 10);
    return { id: `t${i}`, capabilities: [CAPABILITY], ...(group > 0 ? { dependsOn: [`t${(group - 1) * 10}`] } : {}) };
  });
  const bigDag = await phase(DAG_TASKS, async () => finished([await start(dag)]));

  console.log(`CLUSTER_BENCH ${JSON.stringify({ oneTask, bigDag })}`);
  await worker.close();
  await api.close();
  await Promise.all(nodes.map((n) => n.quit()));
}

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** redis-servers of the bench's own in a temp dir: one plain, three joined into a cluster. */
class BenchServers {
  private readonly children: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  single = 0;
  cluster: number[] = [];

  async start(): Promise<void> {
    this.single = await this.server([]);
    for (let i = 0; i < 3; i++) this.cluster.push(await this.server(['--cluster-enabled', 'yes']));
    await run('redis-cli', ['--cluster', 'create', ...this.cluster.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    for (const port of this.cluster) {
      const redis = new Redis({ port, lazyConnect: true });
      for (let tries = 0; !/cluster_state:ok/.test(String(await redis.cluster('INFO'))); tries++) {
        if (tries > 100) throw new Error(`the bench's cluster is not ok on ${port}`);
        await sleep(100);
      }
      redis.disconnect();
    }
  }

  private async server(extra: string[]): Promise<number> {
    let port = await freePort();
    while (port + 10000 > 65535) port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    this.children.push(
      spawn('redis-server', [...args, ...extra, ...(extra.length ? ['--cluster-config-file', `nodes-${port}.conf`] : [])], { stdio: 'ignore' }),
    );
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    for (let tries = 0; ; tries++) {
      try {
        if (probe.status === 'wait') await probe.connect();
        await probe.ping();
        break;
      } catch (error) {
        if (tries > 100) throw error;
        await sleep(100);
      }
    }
    probe.disconnect();
    return port;
  }

  stop(): void {
    for (const child of this.children) child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs one target in a child process (this same script) and answers what it measured. */
function target(env: Record<string, string>): Promise<{ oneTask: PhaseResult; bigDag: PhaseResult }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1]], {
      env: { ...process.env, ...env, BENCH_ONLY: 'cluster-target', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = /^CLUSTER_BENCH (.*)$/m.exec(out)?.[1];
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`cluster bench target ${JSON.stringify(env)} exited with ${code}`));
    });
  });
}

/** The index of the master that serves the deployment-wide records of `prefix` (its global tag `{<prefix>}`). */
async function globalTagMaster(ports: number[], prefix: string): Promise<number> {
  const redis = new Redis({ port: ports[0] });
  try {
    const ranges = (await redis.cluster('SLOTS')).map(([first, last, [, port]]) => ({ first, last, port }));
    const slot = Number(await redis.cluster('KEYSLOT', `{${prefix}}`));
    return ports.indexOf(ranges.find((r) => r.first <= slot && slot <= r.last)!.port);
  } finally {
    redis.disconnect();
  }
}

/**
 * BENCH_CLUSTER_COMMANDS=1: each command's calls per one-task session on each Redis of each target
 * (those above 0.05 a task), to see which commands a cluster adds and which master they go to.
 */
function printCommandsPerTask(phases: [string, PhaseResult][]): void {
  console.log('\n| target | CPU µs per task of the bench process (API and worker) |\n| --- | ---: |');
  for (const [name, phase] of phases) console.log(`| ${name} | ${(phase.clientCpuUs / phase.tasks).toFixed(0)} |`);
  console.log('\n| target | command | calls per task, each Redis |');
  console.log('| --- | --- | --- |');
  for (const [name, phase] of phases) {
    const names = [...new Set(phase.byCommand.flatMap((calls) => Object.keys(calls)))].sort();
    for (const command of names) {
      const perTask = phase.byCommand.map((calls) => (calls[command] ?? 0) / phase.tasks);
      if (Math.max(...perTask) >= 0.05) console.log(`| ${name} | ${command} | ${perTask.map((n) => n.toFixed(2)).join(' / ')} |`);
    }
  }
}

/** The parent: starts the servers, runs the three targets, prints the table. */
export async function clusterBench(): Promise<void> {
  const servers = new BenchServers();
  try {
    await servers.start();
    const seeds = servers.cluster.map((p) => `127.0.0.1:${p}`).join(',');
    const fresh = () => `benchcl${randomBytes(3).toString('hex')}`;
    // Six shards: Switchyard chooses their tags two a master (see docs/redis-cluster.md).
    const sixShards = fresh();
    const globalOn = await globalTagMaster(servers.cluster, sixShards);
    const targets: [string, Record<string, string>][] = [
      ['one Redis', { REDIS_URL: `redis://127.0.0.1:${servers.single}`, SWITCHYARD_SHARDS: '1', BENCH_SY_PREFIX: fresh() }],
      ['cluster, 1 shard', { SWITCHYARD_REDIS_CLUSTER: seeds, SWITCHYARD_SHARDS: '1', BENCH_SY_PREFIX: fresh() }],
      ['cluster, 6 shards (2 a master)', { SWITCHYARD_REDIS_CLUSTER: seeds, SWITCHYARD_SHARDS: '6', BENCH_SY_PREFIX: sixShards }],
    ];
    console.log(`\nSwitchyard on one Redis and on a 3-master Redis Cluster — Node ${process.version}, ${new Date().toISOString()}`);
    console.log(
      `${SESSIONS} one-task sessions (${IN_FLIGHT} starting at a time), then one ${DAG_TASKS}-task DAG; ${ROUNDS} rounds, the targets taking turns, medians shown`,
    );
    console.log(`With 6 shards the deployment-wide records (registry, agent loads) live on master ${globalOn + 1} of 3\n`);
    console.log(
      '| target | sessions/s | sessions/s against one Redis, each round | DAG ms | DAG rate against one Redis, each round | CPU µs per task, each Redis (sessions) | CPU µs per task, each Redis (DAG) | commands per master (sessions) | spread from the mean |',
    );
    console.log('| --- | ---: | --- | ---: | --- | --- | --- | --- | ---: |');
    // The targets take turns, round after round: figures of one machine drift over a minute.
    const runs: { oneTask: PhaseResult; bigDag: PhaseResult }[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, env]] of targets.entries()) runs[i].push(await target(env));
    }
    const rate = (p: PhaseResult) => (p.tasks / p.ms) * 1000;
    const sessionPhases: [string, PhaseResult][] = [];
    for (const [i, [name]] of targets.entries()) {
      // The round whose sessions/s is the median stands for the target; each round's rate follows.
      const byRate = [...runs[i]].sort((a, b) => rate(a.oneTask) - rate(b.oneTask));
      const { oneTask } = byRate[Math.floor(byRate.length / 2)];
      const dagMs = percentile(
        runs[i].map((r) => r.bigDag.ms),
        50,
      );
      const { bigDag } = runs[i].find((r) => r.bigDag.ms === dagMs)!;
      sessionPhases.push([name, oneTask]);
      const perTask = (p: PhaseResult) => p.cpuUs.map((us) => (us / p.tasks).toFixed(0)).join(' / ');
      const mean = oneTask.commands.reduce((a, b) => a + b, 0) / oneTask.commands.length;
      const spread = Math.max(...oneTask.commands.map((c) => Math.abs(c - mean) / mean)) * 100;
      const against = runs[i].map((r, round) => (rate(r.oneTask) / rate(runs[0][round].oneTask)).toFixed(2)).join(' / ');
      // The DAG's rate (tasks/ms) over one Redis's in the same round, as for the sessions: above 1 is faster.
      const dagAgainst = runs[i].map((r, round) => (runs[0][round].bigDag.ms / r.bigDag.ms).toFixed(2)).join(' / ');
      console.log(
        `| ${name} | ${rate(oneTask).toFixed(0)} | ${against} | ${dagMs.toFixed(0)} | ${dagAgainst} | ${perTask(oneTask)} | ${perTask(bigDag)} | ${oneTask.commands.join(' / ')} | ±${spread.toFixed(0)}% |`,
      );
    }
    if (process.env.BENCH_CLUSTER_COMMANDS) printCommandsPerTask(sessionPhases);
  } finally {
    servers.stop();
  }
}
