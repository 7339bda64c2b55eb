import type { ModelUsage, TaskLogger } from '../agents/agent-contract';
import type { BudgetExceeded } from '../sessions/budget';
import type { RecordUsageCall, RecordUsageReply } from './scripts/record-usage';
import { costOf, TaskUsage } from './task-usage';

function usage(reply: RecordUsageReply = { kind: 'ok' }) {
  const recorded: RecordUsageCall[] = [];
  const counted: [string, number][] = [];
  const over: BudgetExceeded[] = [];
  const warnings: string[] = [];
  const log = { warn: (message: string) => void warnings.push(message) } as unknown as TaskLogger;
  const task = new TaskUsage(
    { session: 's', taskId: 't' },
    {
      record: async (call) => (recorded.push(call), reply),
      price: (model) => (model === 'priced' ? { prompt: 2, completion: 8 } : undefined),
      count: (u, cost) => void counted.push([u.model, cost]),
      over: async (exceeded) => void over.push(exceeded),
      log: () => log,
    },
  );
  return { task, recorded, counted, over, warnings };
}

const call = (model: string, promptTokens: number, completionTokens: number): ModelUsage => ({
  model,
  promptTokens,
  completionTokens,
  totalTokens: promptTokens + completionTokens,
});

describe('TaskUsage', () => {
  it('prices each call, counts it, and sends the calls in order', async () => {
    const { task, recorded, counted } = usage();
    task.record(call('priced', 1000, 500));
    task.record(call('free', 10, 5));
    await task.flushed();
    expect(recorded).toEqual([
      { session: 's', taskId: 't', promptTokens: 1000, completionTokens: 500, totalTokens: 1500, costUsd: 0.006 },
      { session: 's', taskId: 't', promptTokens: 10, completionTokens: 5, totalTokens: 15, costUsd: 0 },
    ]);
    expect(counted).toEqual([
      ['priced', 0.006],
      ['free', 0],
    ]);
  });

  it('leaves out, with a warning, a usage that is not one', async () => {
    const { task, recorded, warnings } = usage();
    task.record({ model: '', promptTokens: 1, completionTokens: 1, totalTokens: 2 });
    task.record({ model: 'm', promptTokens: -1, completionTokens: 1, totalTokens: 0 });
    task.record({ model: 'm', promptTokens: 1, completionTokens: 1.5, totalTokens: 2 });
    await task.flushed();
    expect(recorded).toEqual([]);
    expect(warnings).toHaveLength(3);
  });

  it('ends the session when the store says its usage went past the budget', async () => {
    const exceeded: BudgetExceeded = { limit: 'tokens', used: 12, budget: { tokens: 10 } };
    const { task, over } = usage({ kind: 'ok', over: exceeded });
    task.record(call('m', 6, 6));
    await task.flushed();
    expect(over).toEqual([exceeded]);
  });

  it('costs nothing without a price', () => {
    expect(costOf(call('m', 100, 100), undefined)).toBe(0);
  });
});
