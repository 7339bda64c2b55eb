import { inRounds, percentile, sleep } from './harness';

/** Tasks of the flood, and how long each works; the worker runs 50 at once. */
const FLOOD = Number(process.env.BENCH_FAIR_TASKS ?? 3000);
const WORK_MS = 20;
/** The other tenant's one-task submissions, one every OTHER_EVERY_MS once the flood runs. */
const OTHERS = 5;
const OTHER_EVERY_MS = 100;
/** The flood's tasks carry seq from here on, the others' 0..OTHERS-1. */
const FLOOD_SEQ = 1_000_000;

/** What the fair section needs of main.ts: each side's submission, its completion and when each task started (by its `seq`). */
export interface FairSides {
  readonly addBull: (inputs: Record<string, unknown>[]) => Promise<unknown>;
  /** Resolves once `count` BullMQ jobs completed after the call. */
  readonly bullDone: (count: number) => Promise<void>;
  readonly startSession: (tasks: unknown[], tenant: string) => Promise<string>;
  /** The same, through an API whose fair share is off (SWITCHYARD_FAIR_SHARE=off), on the same Redis and worker. */
  readonly startSessionWithoutTurns: (tasks: unknown[], tenant: string) => Promise<string>;
  /** Rounds of the flood alone, fair share off then on in each (see main.ts's ROUNDS). */
  readonly rounds: number;
  readonly sessionDone: (sessionId: string) => Promise<void>;
  readonly started: (seq: number) => number | undefined;
  readonly task: (id: string, extra?: Record<string, unknown>) => unknown;
}

interface FairSide {
  /** Each other submission's wait, from its submission to its task's start (ms). */
  readonly waits: number[];
  /** The flood's tasks per second, from its submission to its last task's end. */
  readonly floodRate: number;
}

/** A flood by one tenant, then another tenant's few single tasks: how long they wait, and what the flood's rate is. */
async function side(
  submitFlood: () => Promise<{ done: Promise<void> }>,
  submitOther: (seq: number) => Promise<unknown>,
  started: FairSides['started'],
): Promise<FairSide> {
  const begun = performance.now();
  const flooded = await submitFlood();
  await sleep(200);
  const submitted: number[] = [];
  for (let seq = 0; seq < OTHERS; seq++) {
    submitted.push(Date.now());
    await submitOther(seq);
    await sleep(OTHER_EVERY_MS);
  }
  await flooded.done;
  const floodRate = (FLOOD / (performance.now() - begun)) * 1000;
  const deadline = Date.now() + 30_000;
  while (submitted.some((_, seq) => started(seq) === undefined) && Date.now() < deadline) await sleep(20);
  return { waits: submitted.map((at, seq) => (started(seq) ?? Number.NaN) - at), floodRate };
}

/**
 * The fair-share section (BENCH_ONLY=fair): a tenant floods the queue with FLOOD tasks of WORK_MS,
 * then another submits OTHERS single tasks. Plain BullMQ serves one queue in order, so they wait
 * behind the flood; Switchyard gives them turns (docs/fair-share.md). Also each side's flood rate,
 * and Switchyard's flood rate alone, without the other tenant (after a warm-up flood), with fair
 * share off and on in each round: what the turns cost the flooding tenant.
 */
export async function benchFair(
  sides: FairSides,
): Promise<{ rows: { scenario: string; unit: string; bull: number; sy: number; better: 'higher' | 'lower'; rounds?: number[] }[]; notes: string[] }> {
  const flood = Array.from({ length: FLOOD }, (_, i) => ({ seq: FLOOD_SEQ + i, workMs: WORK_MS }));
  const floodTasks = flood.map((input, i) => sides.task(`f${i}`, { input }));
  // A flood first, not measured: Switchyard's side warms up (JIT, connections), which the first measured run would pay for.
  const floodAlone = async (start = sides.startSession) => {
    const begun = performance.now();
    await sides.sessionDone(await start(floodTasks, 'acme'));
    return (FLOOD / (performance.now() - begun)) * 1000;
  };
  await floodAlone();
  const bull = await side(
    async () => {
      const done = sides.bullDone(FLOOD + OTHERS);
      await sides.addBull(flood);
      return { done };
    },
    (seq) => sides.addBull([{ seq, workMs: WORK_MS }]),
    sides.started,
  );
  const sy = await side(
    async () => ({ done: sides.sessionDone(await sides.startSession(floodTasks, 'acme')) }),
    async (seq) => sides.startSession([sides.task('g', { input: { seq, workMs: WORK_MS } })], 'globex'),
    sides.started,
  );
  const turns = await inRounds(sides.rounds, async () => ({ off: await floodAlone(sides.startSessionWithoutTurns), on: await floodAlone() }));
  const alone = percentile(
    turns.map((t) => t.on),
    50,
  );
  const label = `${FLOOD} tasks of ${WORK_MS} ms by one tenant, then ${OTHERS} single tasks by another`;
  return {
    rows: [
      { scenario: `${label}: the other's start wait, p99`, unit: 'ms', bull: percentile(bull.waits, 99), sy: percentile(sy.waits, 99), better: 'lower' },
      { scenario: `${label}: the flood's rate`, unit: 'tasks/s', bull: bull.floodRate, sy: sy.floodRate, better: 'higher' },
      {
        // Both columns are Switchyard's: the BullMQ column holds the rate with fair share off.
        scenario: `${FLOOD} tasks of ${WORK_MS} ms by one tenant alone: Switchyard's rate with SWITCHYARD_FAIR_SHARE=off (BullMQ column) and on`,
        unit: 'tasks/s',
        bull: percentile(
          turns.map((t) => t.off),
          50,
        ),
        sy: alone,
        better: 'higher',
        rounds: turns.map((t) => t.on / t.off),
      },
    ],
    notes: [
      `Fair share: the flooding tenant's rate was ${sy.floodRate.toFixed(0)} tasks/s with the other tenant's tasks and ${alone.toFixed(0)} tasks/s alone (${((sy.floodRate / alone) * 100).toFixed(0)} %); the other's waits were ${sy.waits.map((w) => w.toFixed(0)).join(', ')} ms (BullMQ: ${bull.waits.map((w) => w.toFixed(0)).join(', ')} ms).`,
    ],
  };
}
