import type { TaskLogger } from '../agents/agent-contract';
import type { AppendDeltasCall } from './scripts/append-deltas';
import { TaskDeltas } from './task-deltas';

const run = { session: 's', taskId: 't', attempt: 2, cap: 100 };

function deltas(reply: (call: AppendDeltasCall) => { stored: number; marked: boolean } = (c) => ({ stored: c.texts.length, marked: false })) {
  const calls: AppendDeltasCall[] = [];
  const warnings: string[] = [];
  const log = { warn: (message: string) => void warnings.push(message) } as unknown as TaskLogger;
  let release: () => void = () => undefined;
  const stream = new TaskDeltas(
    run,
    async (call) => {
      calls.push(call);
      await new Promise<void>((resolve) => (release = resolve));
      return reply(call);
    },
    () => log,
  );
  return { stream, calls, warnings, release: () => release() };
}

describe('TaskDeltas', () => {
  it('sends the pieces of one tick as one batch, and those emitted meanwhile as the next, with their seq', async () => {
    const { stream, calls, release } = deltas();
    stream.emit('a');
    stream.emit('b');
    stream.emit('');
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toEqual([{ ...run, firstSeq: 0, texts: ['a', 'b'] }]);
    stream.emit('c');
    stream.emit('d');
    stream.emit('e');
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls[1]).toEqual({ ...run, firstSeq: 2, texts: ['c', 'd', 'e'] });
    const flushed = stream.flushed();
    release();
    await flushed;
    expect(calls).toHaveLength(2);
  });

  it('warns once the store says it marked the cap', async () => {
    const { stream, warnings, release } = deltas((c) => ({ stored: 1, marked: c.texts.length > 1 }));
    stream.emit('a');
    stream.emit('b');
    const flushed = stream.flushed();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await flushed;
    expect(warnings).toEqual(['deltas dropped: the task reached its cap of stored deltas (SWITCHYARD_MAX_TASK_DELTAS)']);
  });
});
