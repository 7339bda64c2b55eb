/**
 * A writer process for the state concurrency test: `writers` concurrent loops, each doing
 * `iterations` read-modify-write increments of one shared key, either in transactions that lock
 * the key (`locked`) or as a plain get then set (`unguarded`). Prints one JSON line and exits.
 * Run with: node -r ./test/support/swc-register.js test/support/state-writer.ts '<json>'
 */
import { ShardTag } from '@switchyard/orchestration';
import { StateHarness } from './state-harness';

interface Orders {
  mode: 'locked' | 'unguarded';
  prefix: string;
  sessionId: string;
  tag: ShardTag;
  key: string;
  writers: number;
  iterations: number;
}

async function main(): Promise<void> {
  const orders = JSON.parse(process.argv[2]) as Orders;
  const harness = new StateHarness({ SWITCHYARD_PREFIX: orders.prefix, SWITCHYARD_STATE_LOCK_WAIT_MS: '60000' });
  const state = harness.state.forAgent(orders.tag, orders.sessionId, { id: `writer-${process.pid}`, permission: 'full' });
  let done = 0;
  const loop = async () => {
    for (let i = 0; i < orders.iterations; i++) {
      if (orders.mode === 'locked') {
        await state.transaction(
          async (tx) => {
            const value = (await tx.get<number>(orders.key)) ?? 0;
            tx.set(orders.key, value + 1);
          },
          { lock: [orders.key] },
        );
      } else {
        const value = (await state.get<number>(orders.key)) ?? 0;
        await state.set(orders.key, value + 1);
      }
      done += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: orders.writers }, loop));
    process.stdout.write(`${JSON.stringify({ pid: process.pid, done })}\n`);
  } finally {
    await harness.close(false);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`state-writer: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
