import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { AgentsModule, defineAgent } from '@switchyard/agents';
import {
  keys,
  OrchestrationWorkerModule,
  RedisModelRateLimiter,
  SessionEvents,
  SessionLauncher,
  ShardRouter,
  SWITCHYARD_CONFIG,
  SwitchyardConfig,
  TaskRun,
  TaskContext,
} from '@switchyard/orchestration';
import { percentile, sleep } from './harness';

/** Sizes of the section (environment): small by default, the 50 streams of 100 deltas/s. */
const STREAMS = Number(process.env.BENCH_DELTA_STREAMS ?? 50);
const DELTAS_PER_S = Number(process.env.BENCH_DELTAS_PER_S ?? 100);
const DELTA_SECONDS = Number(process.env.BENCH_DELTA_SECONDS ?? 2);
const STORED_DELTAS = 1000;
const CALLS = Number(process.env.BENCH_LLM_CALLS ?? 200);
const CALLERS = 10;
const MODEL = 'bench-model';

/** The clock both sides of a delta read: the emitting agent and the subscriber live in this process. */
const now = () => performance.timeOrigin + performance.now();

/** Emits `count` deltas, one every `intervalMs`, each carrying when it was emitted. */
const streamer = defineAgent({ type: 'bench_streamer', capabilities: ['bench_stream'], concurrency: 1000 }, async (task: TaskRun, context: TaskContext) => {
  const { count, intervalMs, text } = task.input as { count: number; intervalMs: number; text?: string };
  for (let i = 0; i < count; i++) {
    context.emit(text ?? String(now()));
    if (intervalMs > 0) await sleep(intervalMs);
  }
  return { count };
});

/** The limiter the accounted model calls go through (set once the section has its Redis connection). */
let limiter: RedisModelRateLimiter | undefined;

/**
 * Makes `calls` model calls to a loopback server one after the other; `accounted` ones go through
 * the shared rate limiter first and report their usage (the session has a budget, so each report
 * checks it).
 */
const caller = defineAgent({ type: 'bench_caller', capabilities: ['bench_model_calls'], concurrency: 1000 }, async (task: TaskRun, context: TaskContext) => {
  const { calls, url, accounted } = task.input as { calls: number; url: string; accounted: boolean };
  for (let i = 0; i < calls; i++) {
    if (accounted) await limiter!.acquire(MODEL, 100);
    await (await fetch(url, { method: 'POST', body: '{}' })).text();
    if (accounted) context.recordUsage({ model: MODEL, promptTokens: 80, completionTokens: 20, totalTokens: 100 });
  }
  return { calls };
});

@Module({ imports: [OrchestrationWorkerModule.register({ agents: AgentsModule.register({ agents: [], functions: [streamer, caller] }) })] })
class LlmWorkerModule {}

export interface LlmRow {
  readonly scenario: string;
  readonly value: string;
}

/**
 * Streaming and model-call accounting: emit → subscriber latency of deltas (STREAMS sessions
 * streaming at once, each subscribed to through SessionEvents as the SSE route is), Redis memory
 * per 1,000 stored deltas, and the cost per model call of the limiter, usage accounting and
 * budget check against the same calls without them. `api` is an OrchestrationApiModule context.
 */
export async function benchLlm(api: INestApplicationContext, redis: Redis): Promise<{ rows: LlmRow[]; notes: string[] }> {
  const worker = await NestFactory.createApplicationContext(LlmWorkerModule, { logger: ['error'] });
  const config = api.get<SwitchyardConfig>(SWITCHYARD_CONFIG);
  limiter = new RedisModelRateLimiter(redis, { prefix: config.prefix, limits: { [MODEL]: { rpm: 100_000_000, tpm: 1_000_000_000 } } });
  const launcher = api.get(SessionLauncher);
  const events = api.get(SessionEvents);
  const shards = new ShardRouter(config.prefix, config.shards);
  const rows: LlmRow[] = [];
  const notes: string[] = [];
  try {
    await sleep(500);
    const start = async (tasks: unknown[], budget?: Record<string, number>) =>
      (await launcher.start({ plan: { tasks }, ...(budget ? { budget } : {}) } as never)).sessionId;
    /** Follows a session's stream to its end as the SSE route does; `onDelta` gets each delta's text. */
    const follow = async (sessionId: string, onDelta: (text: string) => void) => {
      const tag = await events.open(sessionId);
      await events.stream(tag, sessionId, undefined, {
        closed: false,
        keepAlive: () => undefined,
        send: (event) => (event.type === 'delta' ? onDelta(String(event.data.text)) : undefined),
      });
    };

    // 1. Emit → subscriber latency.
    const latencies: number[] = [];
    const count = DELTAS_PER_S * DELTA_SECONDS;
    await Promise.all(
      Array.from({ length: STREAMS }, async () => {
        const sessionId = await start([{ id: 'talk', capabilities: ['bench_stream'], input: { count, intervalMs: 1000 / DELTAS_PER_S } }]);
        await follow(sessionId, (text) => latencies.push(now() - Number(text)));
      }),
    );
    rows.push(
      {
        scenario: `delta emit → subscriber, ${STREAMS} streams of ${DELTAS_PER_S} deltas/s for ${DELTA_SECONDS} s: p50`,
        value: `${percentile(latencies, 50).toFixed(1)} ms`,
      },
      { scenario: 'delta emit → subscriber: p99 (target ≤ 25 ms)', value: `${percentile(latencies, 99).toFixed(1)} ms` },
    );
    notes.push(`Delta latency: ${latencies.length} deltas received of ${STREAMS * count} emitted.`);

    // 2. Redis memory per 1,000 stored deltas (24 characters each, about a model token or a few).
    const stored = await start([{ id: 'talk', capabilities: ['bench_stream'], input: { count: STORED_DELTAS, intervalMs: 0, text: 'x'.repeat(24) } }]);
    const stream = keys.events(shards.tagOf(stored)!, stored);
    await follow(stored, () => undefined);
    const withDeltas = Number(await redis.memory('USAGE', stream, 'SAMPLES', 0));
    const bare = await start([{ id: 'talk', capabilities: ['bench_stream'], input: { count: 0, intervalMs: 0 } }]);
    await follow(bare, () => undefined);
    const withoutDeltas = Number(await redis.memory('USAGE', keys.events(shards.tagOf(bare)!, bare), 'SAMPLES', 0));
    rows.push({
      scenario: `Redis memory per ${STORED_DELTAS} stored deltas of 24 characters`,
      value: `${((withDeltas - withoutDeltas) / 1024).toFixed(1)} KiB`,
    });

    // 3. Per model call: limiter + usage accounting + budget check, against the same calls without.
    const server = createServer((request, response) => request.resume().on('end', () => response.end('{"usage":{}}')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
    const perCall = async (accounted: boolean) => {
      const began = performance.now();
      const tasks = (i: number) => [{ id: `c${i}`, capabilities: ['bench_model_calls'], input: { calls: CALLS, url, accounted } }];
      await Promise.all(
        Array.from({ length: CALLERS }, (_, i) => start(tasks(i), accounted ? { tokens: 1e15 } : undefined).then((id) => follow(id, () => undefined))),
      );
      return ((performance.now() - began) * 1000) / (CALLS * CALLERS);
    };
    const rounds: { plain: number; accounted: number }[] = [];
    for (let round = 0; round < 3; round++) rounds.push({ plain: await perCall(false), accounted: await perCall(true) });
    server.close();
    const plain = percentile(
      rounds.map((r) => r.plain),
      50,
    );
    const accounted = percentile(
      rounds.map((r) => r.accounted),
      50,
    );
    rows.push(
      { scenario: `model call to a loopback server, ${CALLERS} tasks × ${CALLS} calls: plain`, value: `${plain.toFixed(0)} µs/call` },
      {
        scenario: 'the same with shared rate limiter + usage accounting + budget check',
        value: `${accounted.toFixed(0)} µs/call (+${(accounted - plain).toFixed(0)} µs)`,
      },
    );
    notes.push('Model calls: each figure is the median of 3 rounds, wall time of the sessions divided by their calls (sessions run at once).');
  } finally {
    await worker.close();
  }
  return { rows, notes };
}

export function printLlm(result: { rows: LlmRow[]; notes: string[] }): void {
  console.log('\nStreaming and model-call accounting\n');
  console.log('| scenario | figure |');
  console.log('| --- | ---: |');
  for (const row of result.rows) console.log(`| ${row.scenario} | ${row.value} |`);
  console.log('');
  for (const note of result.notes) console.log(`- ${note}`);
}
