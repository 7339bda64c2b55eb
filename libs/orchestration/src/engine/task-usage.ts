import type { ModelUsage, TaskLogger } from '../agents/agent-contract';
import type { ModelPrice } from '../config/usage-environment';
import type { BudgetExceeded } from '../sessions/budget';
import type { RecordUsageCall, RecordUsageReply } from './scripts/record-usage';

/** What a {@link TaskUsage} needs: where usage goes, what models cost, and who ends a session over budget. */
export interface UsageSinks {
  /** Counts a call for the task and its session (record-usage.lua). */
  readonly record: (call: RecordUsageCall) => Promise<RecordUsageReply>;
  readonly price: (model: string) => ModelPrice | undefined;
  /** Counts a call in the deployment's metrics. */
  readonly count: (usage: ModelUsage, costUsd: number) => void;
  /** The session's usage went past its budget: end it. */
  readonly over: (exceeded: BudgetExceeded) => Promise<void>;
  readonly log: () => TaskLogger;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** What is wrong with a usage an agent reported, if anything. */
function problemOf(usage: ModelUsage): string | undefined {
  if (!usage || typeof usage.model !== 'string' || usage.model.length === 0) return 'model must be a non-empty string';
  for (const field of ['promptTokens', 'completionTokens', 'totalTokens'] as const) {
    if (!isCount(usage[field])) return `${field} must be a whole number of 0 or more`;
  }
  return undefined;
}

/** What a call of `usage` costs at `price` (USD per million tokens). */
export function costOf(usage: ModelUsage, price: ModelPrice | undefined): number {
  if (!price) return 0;
  return (usage.promptTokens * price.prompt + usage.completionTokens * price.completion) / 1_000_000;
}

/**
 * The model usage of one task run: `record` is synchronous for the agent; each call goes to Redis
 * in order, after the previous one, and the run's outcome waits for them all ({@link flushed}).
 * A usage that is not one (a negative count, no model) is logged and left out.
 */
export class TaskUsage {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: { readonly session: string; readonly taskId: string },
    private readonly sinks: UsageSinks,
  ) {}

  record(usage: ModelUsage): void {
    const problem = problemOf(usage);
    if (problem) {
      this.sinks.log().warn('model usage ignored: it is not one', { problem });
      return;
    }
    const costUsd = costOf(usage, this.sinks.price(usage.model));
    this.sinks.count(usage, costUsd);
    const { promptTokens, completionTokens, totalTokens } = usage;
    const call = { ...this.run, promptTokens, completionTokens, totalTokens, costUsd };
    this.chain = this.chain.then(() => this.send(call));
  }

  /** Resolves once every call recorded so far is counted. */
  flushed(): Promise<void> {
    return this.chain;
  }

  private async send(call: RecordUsageCall): Promise<void> {
    try {
      const reply = await this.sinks.record(call);
      if (reply.kind === 'ok' && reply.over) await this.sinks.over(reply.over);
    } catch (error) {
      this.sinks.log().warn('model usage not counted: Redis refused it', { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
