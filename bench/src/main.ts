/**
 * `npm run bench`: plain BullMQ and Switchyard on the same work, in one process, on the same
 * Redis (REDIS_URL, default redis://127.0.0.1:6379), each under a fresh prefix removed at the end.
 * Both sides' workers live in this process; only one side has work at a time.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FlowJob, FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { AgentsModule, defineAgent } from '@switchyard/agents';
import {
  keys,
  OrchestrationApiModule,
  OrchestrationWorkerModule,
  SESSION_QUEUE,
  SessionLauncher,
  SessionState,
  ShardRouter,
  shardTag,
  SWITCHYARD_CONFIG,
  SwitchyardConfig,
  TaskRun,
} from '@switchyard/orchestration';
import { benchState, printState } from './state-bench';
import { benchLlm, printLlm } from './llm-bench';
import { clusterBench, clusterTarget } from './cluster-bench';
import { benchFair } from './fair-bench';
import { commandsProcessed, Completions, countTo, cpuPer, deletePrefix, inRounds, percentile, ratioCells, sleep } from './harness';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const CAPABILITY = 'data_analysis';
const run = randomBytes(4).toString('hex');
const BULL_PREFIX = `benchbull${run}`;
// The cluster section's targets are given theirs (see cluster-bench.ts).
const SY_PREFIX = process.env.BENCH_SY_PREFIX ?? `benchsy${run}`;
const N_THROUGHPUT = Number(process.env.BENCH_TASKS ?? 20_000);
const CONCURRENCY = 50;
const PACE_PER_S = 500;
const PACE_SECONDS = Number(process.env.BENCH_PACE_SECONDS ?? 10);
/** Scenarios to run, e.g. `BENCH_ONLY=handoff,heap`; all of them by default. */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
type Scenario = 'throughput' | 'processing' | 'flows' | 'chain' | 'dispatch' | 'handoff' | 'heap' | 'fair' | 'state' | 'llm';
/** Sections run by default; `processing` only when asked for (BENCH_ONLY=processing). */
const enabled = (scenario: Scenario) => (ONLY ? ONLY.includes(scenario) : scenario !== 'processing');
/**
 * Rounds of the throughput, flow, chain and hand-off sections: each round runs BullMQ and then
 * Switchyard, so that a change of the machine's speed during the run (common on shared machines)
 * falls on both sides of a round. Each side's figure is its median over the rounds, the ratio the
 * median of the rounds' own ratios.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** Transactions per writer in the session state section (distinct keys; one key takes 100 each). */
const STATE_EACH = Number(process.env.BENCH_STATE_TX ?? 1000);

process.env.SWITCHYARD_PREFIX = SY_PREFIX;
process.env.REDIS_URL = REDIS_URL;
process.env.SWITCHYARD_MAX_PLAN_TASKS = '20000';
process.env.LOG_LEVEL = 'warn';
// The in-process worker serves no probes and sends no canaries (nothing would read them).
process.env.SWITCHYARD_WORKER_HEALTH_PORT = 'off';

/** When the no-op agent / processor started each paced task (by its `seq`). */
let startedAt = new Map<number, number>();
const observe = (input: unknown) => {
  const seq = (input as { seq?: number } | null)?.seq;
  if (seq !== undefined) startedAt.set(seq, Date.now());
};

/** Steps of the paced chains (scenario 5): when each began and ended its work, by `chain/step`. */
let steps = new Map<string, { began: number; ended?: number }>();
interface ChainStep {
  chain: number;
  step: number;
  workMs: number;
}
/** The work of one job of either side: a no-op, or a paced chain step that works for `workMs`. */
const work = async (input: unknown): Promise<null> => {
  observe(input);
  const paced = input as Partial<ChainStep> | null;
  if (paced?.workMs === undefined) return null;
  const record: { began: number; ended?: number } = { began: performance.now() };
  steps.set(`${paced.chain}/${paced.step}`, record);
  await sleep(paced.workMs);
  record.ended = performance.now();
  return null;
};

const noop = defineAgent({ id: 'noop', type: 'noop', capabilities: [CAPABILITY], concurrency: CONCURRENCY }, (task: TaskRun) => work(task.input));

@Module({ imports: [OrchestrationWorkerModule.register({ agents: AgentsModule.register({ agents: [], functions: [noop] }) })] })
class BenchWorkerModule {}

interface Row {
  scenario: string;
  unit: string;
  bull: number;
  sy: number;
  better: 'higher' | 'lower';
  /** Switchyard / BullMQ in each round, when the row was measured in rounds (see ROUNDS). */
  rounds?: number[];
}
const rows: Row[] = [];
const notes: string[] = [];

/** One row from a figure measured in each round on both sides: the medians, and each round's ratio. */
function roundsRow(scenario: string, unit: string, better: Row['better'], measured: { bull: number; sy: number }[]): Row {
  return {
    scenario,
    unit,
    better,
    bull: percentile(
      measured.map((m) => m.bull),
      50,
    ),
    sy: percentile(
      measured.map((m) => m.sy),
      50,
    ),
    rounds: measured.map((m) => m.sy / m.bull),
  };
}

async function main(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null } as const;

  // Plain BullMQ: one queue, one worker at concurrency 50, flows through a FlowProducer.
  const bullConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection: bullConnection, prefix: BULL_PREFIX });
  const flows = new FlowProducer({ connection: bullConnection, prefix: BULL_PREFIX });
  let onBullDone: () => void = () => undefined;
  const worker = new Worker('noop', (job) => work(job.data), { connection: bullConnection, prefix: BULL_PREFIX, concurrency: CONCURRENCY });
  worker.on('completed', () => onBullDone());
  const bullEvents = new Completions(new QueueEvents('noop', { connection, prefix: BULL_PREFIX }));

  // Switchyard: the API's and a worker's modules, in this process.
  // Errors only: the state section's session pauses on purpose, which the worker reports as a warning.
  const api = await NestFactory.createApplicationContext(OrchestrationApiModule, { logger: ['error'] });
  const syWorker = await NestFactory.createApplicationContext(BenchWorkerModule, { logger: ['error'] });
  const launcher = api.get(SessionLauncher);
  const syEvents = new Completions(new QueueEvents(SESSION_QUEUE, { connection, prefix: shardTag(SY_PREFIX, 0) }));
  await Promise.all([worker.waitUntilReady(), bullEvents.events.waitUntilReady(), syEvents.events.waitUntilReady()]);
  await sleep(500);

  const task = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: [CAPABILITY], ...extra });
  const startSession = async (tasks: unknown[]) => {
    const { sessionId } = await launcher.start({ plan: { tasks } } as never);
    return sessionId;
  };
  /** Starts a session and waits for its root job (released once every task completed). */
  const runSession = async (tasks: unknown[]) => {
    const sessionId = await startSession(tasks);
    await syEvents.expect(sessionId);
  };
  const time = async (fn: () => Promise<void>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };

  // 1. Throughput of independent no-op tasks. Both sides add the work in the same chunks, one
  //    after the other, while their worker already runs what was added: BullMQ with addBulk,
  //    Switchyard as one session per chunk.
  if (enabled('throughput')) {
    const CHUNK = 5000;
    const commands = { bull: 0, sy: 0 };
    const measured = await inRounds(ROUNDS, async (round) => {
      let before = await commandsProcessed(redis);
      const counter = countTo(N_THROUGHPUT);
      onBullDone = counter.hit;
      const bullMs = await time(async () => {
        for (let i = 0; i < N_THROUGHPUT; i += CHUNK) {
          await queue.addBulk(Array.from({ length: Math.min(CHUNK, N_THROUGHPUT - i) }, (_, j) => ({ name: 'noop', data: { i: i + j } })));
        }
        await counter.done;
      });
      onBullDone = () => undefined;
      commands.bull += (await commandsProcessed(redis)) - before;
      before = await commandsProcessed(redis);
      const syMs = await time(async () => {
        const sessions: Promise<void>[] = [];
        for (let i = 0; i < N_THROUGHPUT; i += CHUNK) {
          const sessionId = await startSession(Array.from({ length: Math.min(CHUNK, N_THROUGHPUT - i) }, (_, j) => task(`r${round}t${i + j}`)));
          sessions.push(syEvents.expect(sessionId));
        }
        await Promise.all(sessions);
      });
      commands.sy += (await commandsProcessed(redis)) - before;
      return { bull: (N_THROUGHPUT / bullMs) * 1000, sy: (N_THROUGHPUT / syMs) * 1000 };
    });
    rows.push(roundsRow(`${N_THROUGHPUT} independent no-op tasks, 1 worker at concurrency ${CONCURRENCY}`, 'tasks/s', 'higher', measured));
    const perTask = N_THROUGHPUT * ROUNDS;
    rows.push({
      scenario: 'Redis commands per task (whole run, all clients)',
      unit: 'commands',
      bull: commands.bull / perTask,
      sy: commands.sy / perTask,
      better: 'lower',
    });
    notes.push(
      `Both sides were given the ${N_THROUGHPUT} tasks in chunks of ${CHUNK}, each added once the one before was: BullMQ by addBulk, Switchyard as one session per chunk.`,
    );
  }

  // 1b. Processing alone (BENCH_ONLY=processing): the same independent tasks, all enqueued while
  //     the queue is paused (BullMQ's Queue.pause, on both sides), then the time from resuming it
  //     to the last task, with the CPU time per task this process and Redis spent meanwhile, and
  //     the CPU time per task that enqueueing them took.
  if (enabled('processing')) {
    const CHUNK = 5000;
    const processing = async (queueToPause: Queue, enqueue: () => Promise<() => Promise<void>>) => {
      await queueToPause.pause();
      const added = await cpuPer(redis, N_THROUGHPUT, enqueue);
      const run = await cpuPer(redis, N_THROUGHPUT, async () => {
        await queueToPause.resume();
        await added.result();
      });
      return { ms: run.ms, nodeUs: run.nodeUs, redisUs: run.redisUs, enqueueNodeUs: added.nodeUs, enqueueRedisUs: added.redisUs };
    };
    const bull = await processing(queue, async () => {
      const counter = countTo(N_THROUGHPUT);
      onBullDone = counter.hit;
      for (let i = 0; i < N_THROUGHPUT; i += CHUNK) {
        await queue.addBulk(Array.from({ length: Math.min(CHUNK, N_THROUGHPUT - i) }, (_, j) => ({ name: 'noop', data: { i: i + j } })));
      }
      return () => counter.done;
    });
    onBullDone = () => undefined;
    const syQueue = new Queue(CAPABILITY, { connection: redis, prefix: shardTag(SY_PREFIX, 0) });
    const sy = await processing(syQueue, async () => {
      const sessions: Promise<void>[] = [];
      for (let i = 0; i < N_THROUGHPUT; i += CHUNK) {
        const sessionId = await startSession(Array.from({ length: Math.min(CHUNK, N_THROUGHPUT - i) }, (_, j) => task(`p${i + j}`)));
        sessions.push(syEvents.expect(sessionId));
      }
      return async () => void (await Promise.all(sessions));
    });
    await syQueue.close();
    rows.push({
      scenario: `${N_THROUGHPUT} independent no-op tasks enqueued beforehand, processing alone`,
      unit: 'tasks/s',
      bull: (N_THROUGHPUT / bull.ms) * 1000,
      sy: (N_THROUGHPUT / sy.ms) * 1000,
      better: 'higher',
    });
    rows.push({ scenario: 'processing alone: CPU time of this process per task', unit: 'µs', bull: bull.nodeUs, sy: sy.nodeUs, better: 'lower' });
    rows.push({ scenario: 'processing alone: CPU time of Redis per task', unit: 'µs', bull: bull.redisUs, sy: sy.redisUs, better: 'lower' });
    rows.push({
      scenario: 'enqueueing alone (queue paused): CPU time of this process per task',
      unit: 'µs',
      bull: bull.enqueueNodeUs,
      sy: sy.enqueueNodeUs,
      better: 'lower',
    });
    rows.push({
      scenario: 'enqueueing alone (queue paused): CPU time of Redis per task',
      unit: 'µs',
      bull: bull.enqueueRedisUs,
      sy: sy.enqueueRedisUs,
      better: 'lower',
    });
    const perTask = (side: typeof bull) => side.enqueueNodeUs + side.nodeUs + side.enqueueRedisUs + side.redisUs;
    rows.push({
      scenario: 'enqueue + processing: CPU time of this process and Redis per task',
      unit: 'µs',
      bull: perTask(bull),
      sy: perTask(sy),
      better: 'lower',
    });
    notes.push(
      "Processing alone: each side's tasks were all enqueued while its queue was paused (Queue.pause), then the queue was resumed; the time runs from there to the last task (for Switchyard, to each session's finalizer). Enqueueing alone is the CPU time spent adding them meanwhile (BullMQ: addBulk; Switchyard: one session per chunk, validation and bookkeeping included).",
    );
    notes.push(
      `CPU time is what bounds the throughput section (a worker processes while the next chunk is added) when this process and Redis share a small machine's cores: the inverse of the "enqueue + processing" ratio, here ${(perTask(bull) / perTask(sy)).toFixed(2)}, is the throughput ratio that CPU alone would give.`,
    );
  }

  // 2. Flows: one parent with 1,000 children; a 3-level tree 10 x 10 x 10.
  if (enabled('flows')) {
    const bullFlow = (name: string, children: FlowJob[] = []): FlowJob => ({ name, queueName: 'noop', data: {}, ...(children.length ? { children } : {}) });
    const wide = async (label: string, bullTree: FlowJob, syTasks: unknown[]) => {
      const measured = await inRounds(ROUNDS, async () => {
        const bullMs = await time(async () => {
          const { job } = await flows.add(bullTree);
          await bullEvents.expect(job.id!);
        });
        return { bull: bullMs, sy: await time(() => runSession(syTasks)) };
      });
      rows.push(roundsRow(label, 'ms', 'lower', measured));
    };
    await wide(
      "flow: 1 parent with 1,000 children, to the root's completion",
      bullFlow(
        'root',
        Array.from({ length: 1000 }, (_, i) => bullFlow(`c${i}`)),
      ),
      [task('root', { children: Array.from({ length: 1000 }, (_, i) => task(`c${i}`)) })],
    );
    await wide(
      "tree: 10 x 10 x 10 (1,111 jobs), to the root's completion",
      bullFlow(
        'root',
        Array.from({ length: 10 }, (_, a) =>
          bullFlow(
            `a${a}`,
            Array.from({ length: 10 }, (_, b) =>
              bullFlow(
                `a${a}b${b}`,
                Array.from({ length: 10 }, (_, c) => bullFlow(`a${a}b${b}c${c}`)),
              ),
            ),
          ),
        ),
      ),
      [
        task('root', {
          children: Array.from({ length: 10 }, (_, a) =>
            task(`a${a}`, {
              children: Array.from({ length: 10 }, (_, b) => task(`a${a}b${b}`, { children: Array.from({ length: 10 }, (_, c) => task(`a${a}b${b}c${c}`)) })),
            }),
          ),
        }),
      ],
    );
  }

  // 3. A chain of 100 dependent steps: BullMQ nests each step as the parent of the one before;
  //    Switchyard gets 100 tasks with dependsOn edges.
  if (enabled('chain')) {
    let chain: FlowJob = { name: 's0', queueName: 'noop', data: {} };
    for (let i = 1; i < 100; i++) chain = { name: `s${i}`, queueName: 'noop', data: {}, children: [chain] };
    const measured = await inRounds(ROUNDS, async () => {
      const bullMs = await time(async () => {
        const { job } = await flows.add(chain);
        await bullEvents.expect(job.id!);
      });
      return {
        bull: bullMs,
        sy: await time(() => runSession(Array.from({ length: 100 }, (_, i) => task(`s${i}`, i > 0 ? { dependsOn: [`s${i - 1}`] } : {})))),
      };
    });
    rows.push(roundsRow('chain of 100 dependent steps, to completion', 'ms', 'lower', measured));
    rows.push(
      roundsRow(
        'chain: handoff per step',
        'ms',
        'lower',
        measured.map(({ bull, sy }) => ({ bull: bull / 100, sy: sy / 100 })),
      ),
    );
  }

  // 4. Dispatch latency at a paced 500 tasks/s: from submission, and from the moment the task
  //    was enqueued (its submit call returned: for Switchyard, session and flow written), to
  //    the processor / agent starting it.
  if (enabled('dispatch')) {
    const pace = async (submit: (seq: number) => Promise<unknown>) => {
      startedAt = new Map();
      const submitted = new Map<number, number>();
      const enqueued = new Map<number, number>();
      const total = PACE_PER_S * PACE_SECONDS;
      const { nodeUs, redisUs } = await cpuPer(redis, total, async () => {
        const started = performance.now();
        const pending: Promise<unknown>[] = [];
        for (let seq = 0; seq < total; seq++) {
          const due = started + (seq * 1000) / PACE_PER_S;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          submitted.set(seq, Date.now());
          pending.push(submit(seq).then(() => enqueued.set(seq, Date.now())));
        }
        await Promise.all(pending);
        const deadline = Date.now() + 30_000;
        while (startedAt.size < total && Date.now() < deadline) await sleep(20);
      });
      const fromSubmit = [...startedAt].map(([seq, at]) => at - submitted.get(seq)!);
      const fromEnqueued = [...startedAt].map(([seq, at]) => Math.max(0, at - enqueued.get(seq)!));
      return { fromSubmit, fromEnqueued, seen: startedAt.size, nodeUs, redisUs };
    };
    const bull = await pace((seq) => queue.add('noop', { seq }));
    const sy = await pace((seq) => startSession([task('t', { input: { seq } })]));
    const label = `paced ${PACE_PER_S} tasks/s for ${PACE_SECONDS} s`;
    rows.push({
      scenario: `${label}, submit → start: p50`,
      unit: 'ms',
      bull: percentile(bull.fromSubmit, 50),
      sy: percentile(sy.fromSubmit, 50),
      better: 'lower',
    });
    rows.push({
      scenario: `${label}, submit → start: p99`,
      unit: 'ms',
      bull: percentile(bull.fromSubmit, 99),
      sy: percentile(sy.fromSubmit, 99),
      better: 'lower',
    });
    rows.push({
      scenario: `${label}, enqueued → start: p50`,
      unit: 'ms',
      bull: percentile(bull.fromEnqueued, 50),
      sy: percentile(sy.fromEnqueued, 50),
      better: 'lower',
    });
    rows.push({
      scenario: `${label}, enqueued → start: p99`,
      unit: 'ms',
      bull: percentile(bull.fromEnqueued, 99),
      sy: percentile(sy.fromEnqueued, 99),
      better: 'lower',
    });
    rows.push({ scenario: `${label}: CPU time of this process per task`, unit: 'µs', bull: bull.nodeUs, sy: sy.nodeUs, better: 'lower' });
    rows.push({ scenario: `${label}: CPU time of Redis per task`, unit: 'µs', bull: bull.redisUs, sy: sy.redisUs, better: 'lower' });
    notes.push(
      `Dispatch: BullMQ saw ${bull.seen} and Switchyard ${sy.seen} of ${PACE_PER_S * PACE_SECONDS} tasks start; each Switchyard task is its own one-task session (session record, bookkeeping, flow with root job, task job, finalizer). "Enqueued" is when the submit call returned; a start can come before it (counted as 0). CPU time runs from the first submit to the last start (a session's finalizer may come after it); at ${PACE_PER_S}/s, ${Math.round(1e6 / PACE_PER_S)} µs per task is a whole core.`,
    );
  }

  // 5. Ready → started inside a running session, at a paced 500 tasks/s: CHAINS chains whose
  //    steps each work for CHAINS * 1000 / 500 ms, so that steps become ready at about 500 per
  //    second in all. A step is ready when the step before it ends its work; the figure is the
  //    time from then to the next step's start (write-back, wake-up, fetch and start on
  //    Switchyard; BullMQ's move of the parent and fetch on BullMQ, where each step is the
  //    parent of the one before in one nested flow per chain).
  if (enabled('handoff')) {
    const CHAINS = 10;
    const length = Math.max(2, Math.round((PACE_PER_S * PACE_SECONDS) / CHAINS));
    const workMs = (CHAINS * 1000) / PACE_PER_S;
    const input = (chain: number, step: number): ChainStep => ({ chain, step, workMs });
    const measure = async (runAll: () => Promise<void>) => {
      steps = new Map();
      const ms = await time(runAll);
      const gaps: number[] = [];
      for (let chain = 0; chain < CHAINS; chain++) {
        for (let step = 1; step < length; step++) {
          const before = steps.get(`${chain}/${step - 1}`)?.ended;
          const began = steps.get(`${chain}/${step}`)?.began;
          if (before === undefined || began === undefined) throw new Error(`handoff: step ${chain}/${step} did not run`);
          gaps.push(began - before);
        }
      }
      return { gaps, rate: (CHAINS * length * 1000) / ms };
    };
    const runBull = () =>
      measure(async () => {
        const roots = Array.from({ length: CHAINS }, (_, chain) => {
          let flow: FlowJob = { name: `c${chain}s0`, queueName: 'noop', data: input(chain, 0) };
          for (let step = 1; step < length; step++) flow = { name: `c${chain}s${step}`, queueName: 'noop', data: input(chain, step), children: [flow] };
          return flow;
        });
        const added = await flows.addBulk(roots);
        await Promise.all(added.map(({ job }) => bullEvents.expect(job.id!)));
      });
    const runSy = () =>
      measure(() =>
        runSession(
          Array.from({ length: CHAINS }, (_, chain) =>
            Array.from({ length }, (_, step) =>
              task(`c${chain}s${step}`, { input: input(chain, step), ...(step > 0 ? { dependsOn: [`c${chain}s${step - 1}`] } : {}) }),
            ),
          ).flat(),
        ),
      );
    const measured = await inRounds(ROUNDS, async () => ({ bull: await runBull(), sy: await runSy() }));
    const label = `ready → started inside a session, ${CHAINS} chains at ~${PACE_PER_S} steps/s`;
    const figure = (of: (gaps: number[]) => number) => measured.map(({ bull, sy }) => ({ bull: of(bull.gaps), sy: of(sy.gaps) }));
    rows.push(
      roundsRow(
        `${label}: p50`,
        'ms',
        'lower',
        figure((gaps) => percentile(gaps, 50)),
      ),
    );
    rows.push(
      roundsRow(
        `${label}: p99`,
        'ms',
        'lower',
        figure((gaps) => percentile(gaps, 99)),
      ),
    );
    rows.push(
      roundsRow(
        `${label}: max`,
        'ms',
        'lower',
        figure((gaps) => Math.max(...gaps)),
      ),
    );
    const rates = (side: 'bull' | 'sy') => measured.map((m) => m[side].rate.toFixed(0)).join(' / ');
    notes.push(
      `Ready → started: ${CHAINS} chains of ${length} steps, each step working ${workMs} ms; BullMQ ran ${rates('bull')} and Switchyard ${rates('sy')} steps/s in the rounds (the work itself caps it at ${((CHAINS * 1000) / workMs).toFixed(0)}).`,
    );
  }

  // 6. Heap taken to submit a 10,000-task plan (API side: validation, bookkeeping, one flow).
  if (enabled('heap')) {
    const tasks = Array.from({ length: 10_000 }, (_, i) => task(`m${i}`, i % 10 ? { dependsOn: [`m${i - (i % 10)}`] } : {}));
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    const sessionId = await startSession(tasks);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    // Let it run out, so that its tasks do not share the machine with the next section.
    const record = keys.session(shardTag(SY_PREFIX, 0), sessionId);
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
      if (['completed', 'failed', 'cancelled'].includes((await redis.hget(record, 'status')) ?? '')) break;
    }
    notes.push(
      `Submitting a 10,000-task plan (9,000 of them with a dependency) raised this process's heap by at most ${((peak - baseline) / 1024 / 1024).toFixed(1)} MB above its ${(baseline / 1024 / 1024).toFixed(1)} MB baseline${global.gc ? '' : ' (run with --expose-gc for a clean baseline)'}.`,
    );
  }

  // 6b. Fair share between tenants: another tenant's single tasks under a flood (fair-bench.ts).
  if (enabled('fair')) {
    startedAt = new Map();
    // A second API, on the same Redis and worker, whose jobs take no turns: what fair share costs.
    process.env.SWITCHYARD_FAIR_SHARE = 'off';
    const apiWithoutTurns = await NestFactory.createApplicationContext(OrchestrationApiModule, { logger: ['error'] });
    delete process.env.SWITCHYARD_FAIR_SHARE;
    if (apiWithoutTurns.get<SwitchyardConfig>(SWITCHYARD_CONFIG).fairShare.turns || !api.get<SwitchyardConfig>(SWITCHYARD_CONFIG).fairShare.turns) {
      throw new Error('the fair section needs one API with fair share on and one with it off');
    }
    const launcherWithoutTurns = apiWithoutTurns.get(SessionLauncher);
    const fair = await benchFair({
      addBull: (inputs) => queue.addBulk(inputs.map((data) => ({ name: 'noop', data }))),
      bullDone: (count) => {
        const counter = countTo(count);
        onBullDone = counter.hit;
        return counter.done.then(() => void (onBullDone = () => undefined));
      },
      startSession: async (tasks, tenant) => (await launcher.start({ plan: { tasks } } as never, { tenant })).sessionId,
      startSessionWithoutTurns: async (tasks, tenant) => (await launcherWithoutTurns.start({ plan: { tasks } } as never, { tenant })).sessionId,
      rounds: ROUNDS,
      sessionDone: (sessionId) => syEvents.expect(sessionId),
      started: (seq) => startedAt.get(seq),
      task,
    });
    rows.push(...fair.rows);
    notes.push(...fair.notes);
    await apiWithoutTurns.close();
  }

  // 7. Session state: transactions beside an unguarded Lua increment.
  const state = enabled('state') ? await runStateSection(redis, api.get(SessionState), launcher) : undefined;

  // 8. Streaming and model-call accounting.
  const llm = enabled('llm') ? await benchLlm(api, redis) : undefined;

  // Report.
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  console.log(`\nSwitchyard vs plain BullMQ — one process, Redis at ${REDIS_URL}, Node ${process.version}, ${new Date().toISOString()}\n`);
  console.log('| scenario | unit | BullMQ | Switchyard | Switchyard / BullMQ | in each round |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const [ratio, each] = ratioCells(r.rounds, () => (r.bull > 0 ? (r.sy / r.bull).toFixed(2) : '—'));
    console.log(`| ${r.scenario} | ${r.unit} (${r.better} is better) | ${fmt(r.bull)} | ${fmt(r.sy)} | ${ratio} | ${each} |`);
  }
  console.log('');
  if (ROUNDS > 1 && rows.some((r) => r.rounds)) {
    console.log(
      `- Rows with a ratio for each round ran ${ROUNDS} rounds (BENCH_ROUNDS), BullMQ then Switchyard in each: their figures are each side's median, their ratio the median of the rounds' ratios.`,
    );
  }
  for (const note of notes) console.log(`- ${note}`);
  if (state) printState(state);
  if (llm) printLlm(llm);

  await Promise.all([worker.close(), queue.close(), flows.close(), bullEvents.events.close(), syEvents.events.close()]);
  await syWorker.close();
  await api.close();
  await bullConnection.quit();
  await deletePrefix(redis, `${BULL_PREFIX}:*`);
  await deletePrefix(redis, `{${SY_PREFIX}*`);
  await redis.quit();
}

/** The session state section: a session to write in (its one task waits for approval, so nothing else runs), then the rates. */
async function runStateSection(redis: Redis, state: SessionState, launcher: SessionLauncher) {
  const open = async () => {
    const { sessionId } = await launcher.start({ plan: { tasks: [{ id: 'hold', capabilities: [CAPABILITY], kind: 'approval' }] } } as never);
    const tag = new ShardRouter(SY_PREFIX, 1).tagOf(sessionId)!;
    return state.forAgent(tag, sessionId, { id: 'bench', permission: 'full' });
  };
  return benchState(redis, open, STATE_EACH, ROUNDS);
}

/** `BENCH_ONLY=state npm run bench`: only the session state section, without the BullMQ side's setup. */
async function stateOnly(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const api = await NestFactory.createApplicationContext(OrchestrationApiModule, { logger: ['error', 'warn'] });
  const result = await runStateSection(redis, api.get(SessionState), api.get(SessionLauncher));
  console.log(`\nSwitchyard session state — one process, Redis at ${REDIS_URL}, Node ${process.version}, ${new Date().toISOString()}`);
  printState(result);
  await api.close();
  await deletePrefix(redis, `{${SY_PREFIX}-*`);
  await redis.quit();
}

/** `BENCH_ONLY=llm npm run bench`: only the streaming and model-call section. */
async function llmOnly(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const api = await NestFactory.createApplicationContext(OrchestrationApiModule, { logger: ['error'] });
  const result = await benchLlm(api, redis);
  console.log(`\nSwitchyard streaming — one process, Redis at ${REDIS_URL}, Node ${process.version}, ${new Date().toISOString()}`);
  printLlm(result);
  await api.close();
  await deletePrefix(redis, `{${SY_PREFIX}*`);
  await redis.quit();
}

/** The sections that run alone, without the BullMQ side's setup. */
const alone: Record<string, () => Promise<void>> = { state: stateOnly, llm: llmOnly, cluster: clusterBench, 'cluster-target': clusterTarget };

(alone[process.env.BENCH_ONLY ?? '']?.() ?? main()).then(
  () => process.exit(0),
  (error) => {
    console.error(`bench: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
