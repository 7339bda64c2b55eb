import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { Decomposition } from '../plans/decomposition';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionCancelledError } from '../errors/errors';
import { failureInfo, isFinalAttempt } from '../errors/failure-info';
import { NewLogEntry } from '../log/log-entry';
import { SessionLogWriter } from '../log/session-log.writer';
import { MetricsRecorder } from '../metrics/metrics.recorder';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import type { BudgetExceeded } from '../sessions/budget';
import type { RunAbort } from '../runtime/run-abort';
import { currentWorker } from '../runtime/worker-identity';
import { SessionStore } from '../sessions/session.store';
import { SessionState } from '../state/session-state.service';
import { invokeAgent } from './agent-invoker';
import { AgentLease } from './decode.service';
import { TaskExceptions } from './exception.service';
import { inputsOf, TaskStart } from './fetch.service';
import { checkOutput } from './output-limits';
import { SubtaskSpawner } from './subtask-spawner.service';
import { taskLogger } from './task-logger';
import { TaskWriteBack } from './write-back.service';
import { StepStore } from './step-store';
import { RunChannels, RunStreams } from './run-streams.service';
import { contextFrom, inSpan, markSpanFailed, SpanKind, tracingOn } from '../tracing/tracing';

/** The log entry of a task's run starting; `attempt` (which run this is) ends its context. */
export function startedEntry(sessionId: string, taskId: string, agentId: string, capabilities: readonly string[], attempt?: number): NewLogEntry {
  return {
    level: 'info',
    source: 'task',
    sessionId,
    taskId,
    agentId,
    message: 'task started',
    context: attempt === undefined ? { capabilities } : { capabilities, attempt },
  };
}

/** One run of an agent on a task: what it needs and what it measured. */
interface AgentRun {
  readonly tag: ShardTag;
  readonly job: Job<TaskJobData>;
  readonly token: string | undefined;
  readonly lease: AgentLease;
  readonly start: TaskStart;
  /** When the agent's run began (performance.now()), until its end is counted. */
  began?: number;
  /** What the agent streamed and the model calls it made: in the session's keys before the run's outcome is. */
  channels?: RunChannels;
}

/**
 * The execute step: runs the chosen agent on a task marked running, with its dependencies' and
 * children's results, the shared context, a timeout and an AbortSignal, then hands the output to
 * the write-back (or, for subtasks it returned, to the spawner) and a failure to the exception step.
 */
@Injectable()
export class TaskExecute {
  private readonly logger = new Logger(TaskExecute.name);
  private readonly worker = currentWorker();

  constructor(
    private readonly store: SessionStore,
    private readonly state: SessionState,
    private readonly spawner: SubtaskSpawner,
    private readonly writeBack: TaskWriteBack,
    private readonly exceptions: TaskExceptions,
    private readonly log: SessionLogWriter,
    private readonly metrics: MetricsRecorder,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly steps: StepStore,
    private readonly streams: RunStreams,
  ) {}

  /**
   * Runs the task's agent (`start.attempt` set: the fetch marked it running) and records the
   * outcome. Traces on, the attempt is a span, a child of the context the job carries (its
   * enqueuer's span); the agent's model and tool calls and the subtasks it spawns are its children.
   */
  run(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, abort: RunAbort | undefined, lease: AgentLease, start: TaskStart): Promise<unknown> {
    const run: AgentRun = { tag, job, token, lease, start };
    if (!tracingOn()) return this.attempt(run, abort);
    const { sessionId, taskId, capabilities, trace } = job.data;
    const attributes = {
      'switchyard.session.id': sessionId,
      'switchyard.task.id': taskId,
      'switchyard.attempt': start.attempt,
      'switchyard.agent.id': lease.agent.descriptor.id,
      'switchyard.capability': capabilities[0],
    };
    const passes = (error: unknown) => error instanceof DelayedError || error instanceof WaitingChildrenError;
    return inSpan(`task ${taskId}`, { parent: contextFrom(trace), kind: SpanKind.CONSUMER, attributes, passes }, () => this.attempt(run, abort));
  }

  private async attempt(run: AgentRun, abort: RunAbort | undefined): Promise<unknown> {
    try {
      let output: unknown;
      try {
        output = (await this.invoke(run, abort)) ?? null;
      } finally {
        run.channels?.close();
        await Promise.all([run.channels?.deltas.flushed(), run.channels?.usage.flushed()]);
      }
      return await this.completed(run, output);
    } catch (error) {
      if (error instanceof DelayedError || error instanceof WaitingChildrenError) throw error;
      markSpanFailed(error);
      return this.runFailed(run, abort, error);
    }
  }

  private async invoke(run: AgentRun, abort: RunAbort | undefined): Promise<unknown> {
    const { tag, job, lease, start } = run;
    const task = job.data;
    const { sessionId, taskId } = task;
    const agent = lease.agent;
    const agentId = agent.descriptor.id;
    const inputFrom = inputsOf(task);
    const attempt = start.attempt!;
    const readyAt = start.readyAt ? Date.parse(start.readyAt) : NaN;
    const latency = attempt === 1 && Number.isFinite(readyAt) ? Math.max(0, Date.now() - readyAt) : undefined;
    this.metrics.taskStarted(tag, start.tenant, task.capabilities[0], latency);
    // The fetch wrote the entry to the session's log with the start itself.
    this.log.mirror(startedEntry(sessionId, taskId, agentId, task.capabilities, attempt), this.logger);
    const missing = inputFrom.filter((id) => !(id in start.dependencies));
    const log = () => taskLogger(this.log, tag, this.logger, { sessionId, taskId, agentId });
    const over = (exceeded: BudgetExceeded) => this.exceptions.overBudget(tag, sessionId, exceeded, taskId);
    const { deltas, usage } = (run.channels = this.streams.open(
      { tag, sessionId, taskId, attempt, tenant: start.tenant, wallEndsAt: start.budget?.wallEndsAt },
      log,
      over,
    ));
    run.began = performance.now();
    return invokeAgent(
      agent,
      {
        sessionId,
        taskId,
        title: task.title,
        capabilities: task.capabilities,
        input: task.input ?? null,
        dependencies: start.dependencies,
        ...(missing.length > 0 ? { missing } : {}),
        goal: start.goal,
        attempt,
      },
      {
        shared: start.shared,
        state: () => this.state.forAgent(tag, sessionId, agent.descriptor),
        log,
        worker: this.worker,
        tenant: start.tenant,
        step: this.steps.forTask({ tag, sessionId, taskId }),
        emit: (text) => deltas.emit(text),
        recordUsage: (u) => usage.record(u),
      },
      { abort, timeoutMs: task.timeoutMs },
    );
  }

  /** Counts the end of the agent's run once (`outcome` for the metrics); answers how long it took. */
  private ended(run: AgentRun, outcome: 'completed' | 'failed' | 'cancelled', final?: boolean): number | undefined {
    if (run.began === undefined) return undefined;
    const durationMs = performance.now() - run.began;
    run.began = undefined;
    this.metrics.taskRunEnded(run.tag, run.start.tenant, run.job.data.capabilities[0], outcome, durationMs, final);
    return durationMs;
  }

  private async completed(run: AgentRun, output: unknown): Promise<unknown> {
    const { tag, job, token, start } = run;
    const task = job.data;
    checkOutput(task, output, this.config, start.outputBytes);
    if (output instanceof Decomposition) {
      // Counted once its subtasks are accepted: invalid subtasks fail the run instead.
      const waits = await this.spawner.spawn(tag, job, token, run.lease.agent.descriptor.id, output);
      this.ended(run, 'completed');
      if (waits) throw new WaitingChildrenError();
      return this.writeBack.finishDecomposed(tag, job.data, start.outputBytes);
    }
    const durationMs = this.ended(run, 'completed')!;
    const { sessionId, taskId } = task;
    const agentId = run.lease.agent.descriptor.id;
    const entry: NewLogEntry = {
      level: 'info',
      source: 'task',
      sessionId,
      taskId,
      agentId,
      message: 'task completed',
      context: { durationMs: Math.round(durationMs) },
    };
    // Without dependants, or with dependants that wait for it alone, the write-back (with the
    // entry) and the dependants' promotion go to Redis in one transaction, and BullMQ completes
    // the job once it is answered (see HandOff). Dependants that wait for others too are
    // woken once the write-back says they are ready, before the job completes, so that a worker
    // dying in between leaves a job that runs again and wakes them.
    if (task.dependants.every((dependant) => dependant.sole)) {
      this.log.mirror(entry, this.logger);
      const refused = (error: Parameters<TaskExceptions['endWithoutJob']>[2]) => this.exceptions.endWithoutJob(tag, task, error);
      await this.writeBack.completeAhead(tag, task, output, refused, this.log.scripted(tag, entry));
    } else {
      this.log.write(tag, entry, this.logger);
      await this.writeBack.finish(tag, task, { status: 'completed', output });
    }
    return output;
  }

  private async runFailed(run: AgentRun, abort: RunAbort | undefined, error: unknown): Promise<never> {
    const { tag, job, token } = run;
    const { sessionId, taskId } = job.data;
    if (abort?.aborted && abort.reason instanceof SessionCancelledError) {
      this.ended(run, 'cancelled');
      const agentId = run.lease.agent.descriptor.id;
      this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, agentId, message: 'task aborted: session cancelled' }, this.logger);
      await this.store.setTaskStatus(tag, sessionId, taskId, 'cancelled', { finished: true, error: failureInfo(abort.reason, taskId) });
      throw new UnrecoverableError(abort.reason.message);
    }
    this.ended(run, 'failed', isFinalAttempt(job, error));
    return this.exceptions.failed(tag, job, token, error, false, run.start.attempt);
  }
}
