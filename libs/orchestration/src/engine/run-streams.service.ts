import { Inject, Injectable } from '@nestjs/common';
import type { TaskLogger } from '../agents/agent-contract';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { MetricsRecorder } from '../metrics/metrics.recorder';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import type { BudgetExceeded } from '../sessions/budget';
import { appendDeltas } from './scripts/append-deltas';
import { checkBudget } from './scripts/check-budget';
import { recordUsage } from './scripts/record-usage';
import { TaskDeltas } from './task-deltas';
import { TaskUsage } from './task-usage';

/** The task attempt whose streams are made. */
export interface StreamedRun {
  readonly tag: ShardTag;
  readonly sessionId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly tenant: string;
  /** When (epoch ms) the session's `wallMs` budget ends, if it has one. */
  readonly wallEndsAt?: number;
}

/** What one run streams to its session besides its output; the run's outcome waits for both. */
export interface RunChannels {
  readonly deltas: TaskDeltas;
  readonly usage: TaskUsage;
  /** Stops the run's watch of the session's `wallMs` (call it when the run ends). */
  readonly close: () => void;
}

/** Makes what an agent's run streams to its session besides its output: its deltas and its model usage. */
@Injectable()
export class RunStreams {
  constructor(
    private readonly redis: RedisConnections,
    private readonly metrics: MetricsRecorder,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /**
   * The deltas and usage of one attempt, going to the session's keys; `over` ends the session
   * when its usage goes past its budget.
   */
  open(run: StreamedRun, log: () => TaskLogger, over: (exceeded: BudgetExceeded) => Promise<void>): RunChannels {
    const { tag, sessionId, taskId, attempt, tenant } = run;
    const session = keys.session(tag, sessionId);
    const client = this.redis.client;
    const { maxTaskDeltas, prices } = this.config.usage;
    return {
      close: this.watchWall(session, run.wallEndsAt, over, log),
      deltas: new TaskDeltas({ session, taskId, attempt, cap: maxTaskDeltas }, (call) => appendDeltas(client, call), log),
      usage: new TaskUsage(
        { session, taskId },
        {
          record: (call) => recordUsage(client, call),
          price: (model) => prices[model],
          count: (usage, costUsd) =>
            this.metrics.modelUsage(tag, tenant, usage.model, { prompt: usage.promptTokens, completion: usage.completionTokens }, costUsd),
          over,
          log,
        },
      ),
    };
  }

  /**
   * While the run lasts, checks the session at the end of its `wallMs` (a check in Redis, as the
   * session may have more time than this worker's clock says): past it, `over` ends the session.
   */
  private watchWall(session: string, endsAt: number | undefined, over: (exceeded: BudgetExceeded) => Promise<void>, log: () => TaskLogger): () => void {
    if (endsAt === undefined) return () => undefined;
    const timer = setTimeout(
      () => {
        checkBudget(this.redis.client, session)
          .then((exceeded) => (exceeded ? over(exceeded) : undefined))
          .catch((error: unknown) => log().warn('budget not checked: Redis refused it', { error: error instanceof Error ? error.message : String(error) }));
      },
      // Past the end (budget.lua counts a limit passed when over it).
      Math.max(0, endsAt - Date.now()) + 5,
    );
    timer.unref();
    return () => clearTimeout(timer);
  }
}
