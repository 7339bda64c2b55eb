import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { StateHandle, StateTransaction } from '@switchyard/orchestration';
import { cpuPer, inRounds, percentile, ratioCells } from './harness';
import { loadIncr } from './scripts/incr';

/** One row of the state table: transactions per second beside the unguarded Lua ceiling. */
export interface StateRow {
  scenario: string;
  ceiling: number;
  sy: number;
  /** Switchyard / Lua in each round, when the row was measured in rounds beside its ceiling. */
  rounds?: number[];
}

const WRITERS = 50;
/**
 * Transactions per writer on one key: each waits for the lock in turn (Redlock retries every
 * 15 ± 15 ms), so this row runs at a few thousand per second whatever the count.
 */
const ONE_KEY_EACH = 100;

/** Calls per second of one run, and the CPU time each call took in this process and in Redis. */
interface Rate {
  perSecond: number;
  nodeCpuUs: number;
  redisCpuUs: number;
}

/**
 * Runs `writers` loops of `each` calls concurrently. CPU time per call is steadier than calls per
 * second on a shared machine, whose speed changes from one run to the next.
 */
async function rate(redis: Redis, writers: number, each: number, call: (writer: number, i: number) => Promise<unknown>): Promise<Rate> {
  const calls = writers * each;
  const { ms, nodeUs, redisUs } = await cpuPer(redis, calls, () =>
    Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < each; i++) await call(w, i);
      }),
    ),
  );
  return { perSecond: (calls * 1000) / ms, nodeCpuUs: nodeUs, redisCpuUs: redisUs };
}

/** The median of each side's rates and CPU times over rounds. */
function medianRate(rates: Rate[]): Rate {
  const median = (of: (r: Rate) => number) => percentile(rates.map(of), 50);
  return { perSecond: median((r) => r.perSecond), nodeCpuUs: median((r) => r.nodeCpuUs), redisCpuUs: median((r) => r.redisCpuUs) };
}

/**
 * Session state under 50 concurrent writers in this process: read-modify-write transactions
 * (lock, read, write, commit, release) on one key and on 50 distinct keys, and the atomic
 * increment helper, each beside an unguarded Lua INCR on the same Redis as the ceiling. The
 * distinct-key transactions run in `rounds` rounds, each measuring the ceiling again right
 * before them, so that a change of the machine's speed falls on both.
 */
export async function benchState(redis: Redis, open: () => Promise<StateHandle>, each: number, rounds = 1): Promise<{ rows: StateRow[]; notes: string[] }> {
  const ceilingKey = `benchstate${randomBytes(4).toString('hex')}`;
  const luaIncr = await loadIncr(redis);
  const rows: StateRow[] = [];
  try {
    // The ceiling: one script call per update, nothing else. Measured on one key and on 50.
    const ceilingOne = await rate(redis, WRITERS, each * 4, () => luaIncr(`${ceilingKey}:one`));
    const ceilingFirst = await rate(redis, WRITERS, each * 4, (w) => luaIncr(`${ceilingKey}:${w}`));

    // Each kind of write runs in a session of its own, so a row's scope holds its own 50 entries
    // (or one), as the scenario says, not every earlier row's too: a scope's hash of up to 512
    // entries is a listpack in Redis, which HGET and HSET scan.
    const helperScope = await open();
    const helper = await rate(redis, WRITERS, each * 4, (w) => helperScope.shared.increment(`key${w}`));
    rows.push({
      scenario: `state.shared.increment (atomic Lua helper), ${WRITERS} writers on ${WRITERS} distinct keys`,
      ceiling: ceilingFirst.perSecond,
      sy: helper.perSecond,
    });

    const bump = (key: string) => async (tx: StateTransaction) => void tx.set(key, ((await tx.get<number>(key)) ?? 0) + 1);
    const rmw = (handle: StateHandle, key: string) => handle.transaction(bump(key), { lock: [key] });
    // The same work without the lock option: the default, optimistic transaction (read with its
    // version, commit with the version check, refused while a locking transaction holds the key).
    const optimistic = (handle: StateHandle, key: string) => handle.transaction(bump(key));
    const lockedScope = await open();
    const freeScope = await open();
    // The ceiling on 50 keys is measured after the one-key run went through the same code; the
    // transactions likewise after one pass of each kind on the same keys (the cold rate is
    // printed as a note).
    const firstPass = await rate(redis, WRITERS, each, (w) => rmw(lockedScope, `key${w}`));
    await rate(redis, WRITERS, each, (w) => optimistic(freeScope, `key${w}`));
    const measured = await inRounds(rounds, async () => {
      const ceiling = await rate(redis, WRITERS, each * 4, (w) => luaIncr(`${ceilingKey}:${w}`));
      const locked = await rate(redis, WRITERS, each, (w) => rmw(lockedScope, `key${w}`));
      return { ceiling, locked, free: await rate(redis, WRITERS, each, (w) => optimistic(freeScope, `key${w}`)) };
    });
    const ceilingMany = medianRate(measured.map((m) => m.ceiling));
    const distinct = medianRate(measured.map((m) => m.locked));
    const free = medianRate(measured.map((m) => m.free));
    const ratios = (side: 'locked' | 'free') => (rounds > 1 ? measured.map((m) => m[side].perSecond / m.ceiling.perSecond) : undefined);
    rows.push({
      scenario: `transaction (lock, read, write, commit), ${WRITERS} writers on ${WRITERS} distinct keys`,
      ceiling: ceilingMany.perSecond,
      sy: distinct.perSecond,
      rounds: ratios('locked'),
    });
    rows.push({
      scenario: `transaction without a lock (read, write, commit with version check), ${WRITERS} writers on ${WRITERS} distinct keys`,
      ceiling: ceilingMany.perSecond,
      sy: free.perSecond,
      rounds: ratios('free'),
    });
    const oneScope = await open();
    const one = await rate(redis, WRITERS, ONE_KEY_EACH, () => rmw(oneScope, 'one'));
    rows.push({ scenario: `transaction (lock, read, write, commit), ${WRITERS} writers on one key`, ceiling: ceilingOne.perSecond, sy: one.perSecond });
    const final = await oneScope.get<number>('one');
    const total = (r: Rate) => r.nodeCpuUs + r.redisCpuUs;
    const cpu = (r: Rate) => `${r.nodeCpuUs.toFixed(1)} + ${r.redisCpuUs.toFixed(1)} µs`;
    const notes = [
      `State: ${WRITERS} async writers in this one process, each kind of write in a session of its own (its shared scope holds just that row's keys), ${each} transactions each on distinct keys and ${ONE_KEY_EACH} on one key (${each * 4} Lua calls each for the ceiling and the helper); the one-key counter ended at ${final} of ${WRITERS * ONE_KEY_EACH}.`,
      `Before the distinct-key transaction rows, one unmeasured pass of ${WRITERS} × ${each} transactions of each kind warms the code, as the one-key ceiling run does for the 50-key one; the first, with a lock, ran at ${firstPass.perSecond.toFixed(0)} transactions/s (${(firstPass.perSecond / ceilingFirst.perSecond).toFixed(2)} × the ceiling measured before it).`,
      ...(rounds > 1
        ? [
            `The distinct-key transactions ran in ${rounds} rounds, each after the 50-key ceiling measured again: their rates, CPU times and the ceiling are medians over the rounds, their ratio the median of the rounds' ratios.`,
          ]
        : []),
      `CPU time per call, this process + Redis (steadier than the rates on a busy machine): Lua INCR on ${WRITERS} keys ${cpu(ceilingMany)}; increment helper ${cpu(helper)}; distinct-key transaction ${cpu(distinct)}, without a lock ${cpu(free)}. The ceiling's total over the transaction's: ${(total(ceilingMany) / total(distinct)).toFixed(2)} (${(total(ceilingMany) / total(free)).toFixed(2)} without a lock).`,
      `Redlock here locks on the deployment's Redis (one server); a contended lock is retried every 15 ± 15 ms, which bounds one-key throughput.`,
    ];
    return { rows, notes };
  } finally {
    const leftovers = await redis.keys(`${ceilingKey}*`);
    if (leftovers.length > 0) await redis.del(...leftovers);
  }
}

/** Prints the state table (Markdown) and its notes. */
export function printState(result: { rows: StateRow[]; notes: string[] }): void {
  const fmt = (n: number) => n.toFixed(0);
  console.log('\n| session state scenario | unguarded Lua INCR (calls/s) | Switchyard (ops/s) | Switchyard / Lua | in each round |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const r of result.rows) {
    const [ratio, each] = ratioCells(r.rounds, () => (r.sy / r.ceiling).toFixed(2));
    console.log(`| ${r.scenario} | ${fmt(r.ceiling)} | ${fmt(r.sy)} | ${ratio} | ${each} |`);
  }
  console.log('');
  for (const note of result.notes) console.log(`- ${note}`);
}
