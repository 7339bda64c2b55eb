import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, WaitingChildrenError, WaitingError } from 'bullmq';
import { Decomposition } from '../agents/decomposition';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { AgentUnavailableError, OutputTooLargeError, SessionCancelledError, SessionOutputsFullError } from '../errors/errors';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { HOLD_DELAY_MS } from '../plans/flow-builder';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { TaskQueues } from '../queues/task-queues.service';
import { currentWorker } from '../runtime/worker-identity';
import type { RunAbort } from '../runtime/run-abort';
import { SessionState } from '../state/session-state.service';
import { invokeAgent } from './agent-invoker';
import { SessionStore } from './session.store';
import { TaskRunStore } from './task-run.store';
import { failureInfo, TaskOutcomes } from './task-outcomes.service';
import { DEFAULT_TENANT, FINISHED_SESSION_STATUSES } from './session.types';
import { taskLogger } from './task-logger';
import { SubtaskSpawner } from './subtask-spawner.service';
import { SessionLogWriter } from '../log/session-log.writer';
import { NewLogEntry } from '../log/log-entry';
import { MetricsRecorder } from '../metrics/metrics.recorder';
import { isFinalAttempt } from './task-outcomes.service';
import { checkOutput } from './output-limits';

/** The log entry of a task's run starting; `attempt` (which run this is) ends its context. */
function startedEntry(sessionId: string, taskId: string, agentId: string, capabilities: readonly string[], attempt?: number): NewLogEntry {
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

/**
 * Runs one task job through the execution model: fetch (the job, held back while anything it
 * waits for is unfinished), decode (pick a hosted agent), execute (with its dependencies'
 * results, the shared context, a timeout and an AbortSignal), write back (output, state, wake
 * the waiters), and exceptions (retry by BullMQ, or fail the session on the last attempt).
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger(TaskExecutor.name);
  private readonly worker = currentWorker();

  constructor(
    private readonly store: SessionStore,
    private readonly runs: TaskRunStore,
    private readonly state: SessionState,
    private readonly queues: TaskQueues,
    private readonly outcomes: TaskOutcomes,
    private readonly spawner: SubtaskSpawner,
    @Inject(LocalAgentPool) private readonly pool: LocalAgentPool,
    private readonly log: SessionLogWriter,
    private readonly metrics: MetricsRecorder,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async execute(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, abort?: RunAbort): Promise<unknown> {
    const task = job.data;
    const { sessionId, taskId } = task;

    const inputFrom = [...task.dependsOn, ...task.childIds];
    // A plain task is marked running in the same script that reads its inputs; a task that can
    // pause, or that comes back after its subtasks, has to look at its state first.
    const plain = task.kind === 'task' && task.onFailure !== 'ask' && !task.decomposition;
    let lease: ReturnType<LocalAgentPool['acquire']> | undefined;
    let run: Parameters<TaskRunStore['beginTask']>[4];
    if (plain) {
      try {
        lease = this.pool.acquire(taskId, { capabilities: task.capabilities, agentType: task.agentType });
      } catch (error) {
        return this.refused(tag, job, token, error);
      }
      const agentId = lease.agent.descriptor.id;
      // "task started" goes into the session's log with the start itself, its attempt filled in there.
      const started = this.log.scripted(tag, startedEntry(sessionId, taskId, agentId, task.capabilities), 'attempt');
      this.log.flushBefore();
      run = { agentId, worker: this.worker, started };
    }
    const begin = await this.runs.beginTask(tag, sessionId, taskId, inputFrom, run).catch((error: unknown) => {
      lease?.release();
      throw error;
    });
    if (begin.status === undefined || FINISHED_SESSION_STATUSES.includes(begin.status)) {
      lease?.release();
      // The session ended (or expired) while this job waited: start nothing new.
      if (begin.status !== undefined) {
        this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: `task not started: the session is ${begin.status}` });
        await this.store.setTaskStatus(tag, sessionId, taskId, 'cancelled', { finished: true });
      }
      return null;
    }
    if (begin.done) {
      // Completed before, but its job did not finish (a failure after the write-back, or a worker
      // that died): do not run the agent again, only make sure its waiters were woken.
      lease?.release();
      await this.outcomes.finish(tag, task, { status: 'completed', output: begin.done.output });
      return begin.done.output;
    }
    if (begin.hold) {
      lease?.release();
      // Its subtasks are recorded, and some have not finished, but the job is not waiting for
      // them: its worker died while enqueuing them. Finish that, and wait.
      if (task.decomposition?.tasks && (await this.spawner.resume(tag, job, token))) throw new WaitingChildrenError();
      // A child or dependency it still waits for completed without its write-back (its worker
      // died): its job has its result. Once written back, `hold` finds nothing pending and goes
      // on. (Spawned subtasks are among its children: spawn adds them to `childIds`.)
      if (task.childIds.length > 0 || task.dependsOn.length > 0) {
        const pending = new Set(await this.store.pendingIds(tag, sessionId, taskId));
        if (task.childIds.length > 0) await this.outcomes.recoverChildren(tag, job, pending);
        if (task.dependsOn.length > 0) await this.outcomes.recoverDependencies(tag, task, pending);
      }
      this.log.write(tag, { level: 'debug', source: 'task', sessionId, taskId, message: 'task held: a dependency has not finished' });
      await this.hold(tag, job, token);
      throw new DelayedError();
    }

    if (!lease) {
      if (begin.status === 'pending') await this.store.transition(tag, sessionId, ['pending'], 'running', { startedAt: new Date().toISOString() });
      // Only tasks that can pause can have an operator's decision waiting for them.
      const resolution = task.kind === 'approval' || task.onFailure === 'ask' ? await this.store.takeResolution(tag, sessionId, taskId) : undefined;
      if (resolution?.action === 'skip') {
        this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: 'task skipped by the operator' });
        await this.outcomes.finish(tag, task, { status: 'skipped' });
        return null;
      }
      if (resolution?.action === 'provide') {
        const output = resolution.output ?? null;
        return this.failingOverLimits(tag, job, token, async () => {
          checkOutput(task, output, this.config, begin.outputBytes);
          this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: 'task completed with the output the operator provided' });
          await this.outcomes.finish(tag, task, { status: 'completed', output });
          return output;
        });
      }
      if (!resolution && task.kind === 'approval') return this.outcomes.pause(tag, job, token, 'operator approval');
      // Back after the subtasks its agent spawned: finish with their results, without running
      // again — unless its worker died before it recorded them: then enqueue them, and wait.
      if (task.decomposition) {
        if (task.decomposition.tasks && !(await this.spawner.recorded(tag, task)) && (await this.spawner.resume(tag, job, token))) {
          throw new WaitingChildrenError();
        }
        return this.failingOverLimits(tag, job, token, () => this.finishDecomposed(tag, task, begin.outputBytes));
      }
      try {
        lease = this.pool.acquire(taskId, { capabilities: task.capabilities, agentType: task.agentType });
      } catch (error) {
        return this.refused(tag, job, token, error);
      }
    }
    const agent = lease.agent;
    const agentId = agent.descriptor.id;
    const capability = task.capabilities[0];
    const tenant = begin.tenant ?? DEFAULT_TENANT;
    let runStarted: number | undefined;
    let attempt: number | undefined;
    try {
      const dependencies = begin.dependencies ?? {};
      const shared = begin.shared ?? {};
      const goal = begin.goal;
      const missing = inputFrom.filter((id) => !(id in dependencies));
      attempt = begin.attempt ?? (await this.store.taskStarted(tag, sessionId, taskId, { agentId, worker: this.worker, inputFrom }));
      runStarted = performance.now();
      const readyAt = begin.readyAt ? Date.parse(begin.readyAt) : NaN;
      this.metrics.taskStarted(tag, tenant, capability, attempt === 1 && Number.isFinite(readyAt) ? Math.max(0, Date.now() - readyAt) : undefined);
      const started = startedEntry(sessionId, taskId, agentId, task.capabilities, attempt);
      // Marked running by BEGIN, which wrote the entry to the session's log.
      if (begin.attempt !== undefined) this.log.mirror(started, this.logger);
      else this.log.write(tag, started, this.logger);

      const output = await invokeAgent(
        agent,
        {
          sessionId,
          taskId,
          title: task.title,
          capabilities: task.capabilities,
          input: task.input ?? null,
          dependencies,
          ...(missing.length > 0 ? { missing } : {}),
          goal,
          attempt,
        },
        {
          shared,
          state: () => this.state.forAgent(tag, sessionId, agent.descriptor),
          log: () => taskLogger(this.log, tag, this.logger, { sessionId, taskId, agentId }),
          worker: this.worker,
          tenant,
        },
        { abort, timeoutMs: task.timeoutMs },
      );
      const durationMs = performance.now() - runStarted;
      checkOutput(task, output ?? null, this.config, begin.outputBytes);
      if (output instanceof Decomposition) {
        const waits = await this.spawner.spawn(tag, job, token, agentId, output);
        // Counted once its subtasks are accepted: invalid subtasks fail the run instead.
        runStarted = undefined;
        this.metrics.taskRunEnded(tag, tenant, capability, 'completed', durationMs);
        if (waits) throw new WaitingChildrenError();
        return this.finishDecomposed(tag, job.data, begin.outputBytes);
      }
      runStarted = undefined;
      this.metrics.taskRunEnded(tag, tenant, capability, 'completed', durationMs);
      const completed: NewLogEntry = {
        level: 'info',
        source: 'task',
        sessionId,
        taskId,
        agentId,
        message: 'task completed',
        context: { durationMs: Math.round(durationMs) },
      };
      // Without dependants, or with dependants that wait for it alone, nothing waits for the
      // write-back's answer: it shares a round trip with the dependants' promotion and BullMQ's
      // completion of the job (and writes the entry). Dependants that wait for others too are
      // woken once the write-back says they are ready, before the job completes, so that a worker
      // dying in between leaves a job that runs again and wakes them.
      if (task.dependants.every((dependant) => dependant.sole)) {
        this.log.mirror(completed, this.logger);
        await this.outcomes.completeAhead(tag, task, output ?? null, this.log.scripted(tag, completed));
      } else {
        this.log.write(tag, completed, this.logger);
        await this.outcomes.finish(tag, task, { status: 'completed', output: output ?? null });
      }
      return output ?? null;
    } catch (error) {
      if (error instanceof DelayedError || error instanceof WaitingChildrenError) throw error;
      const durationMs = runStarted === undefined ? undefined : performance.now() - runStarted;
      if (abort?.aborted && abort.reason instanceof SessionCancelledError) {
        if (durationMs !== undefined) this.metrics.taskRunEnded(tag, tenant, capability, 'cancelled', durationMs);
        this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, agentId, message: 'task aborted: session cancelled' }, this.logger);
        await this.store.setTaskStatus(tag, sessionId, taskId, 'cancelled', { finished: true, error: failureInfo(abort.reason, taskId) });
        throw new UnrecoverableError(abort.reason.message);
      }
      if (durationMs !== undefined) this.metrics.taskRunEnded(tag, tenant, capability, 'failed', durationMs, isFinalAttempt(job, error));
      return this.outcomes.failed(tag, job, token, error, false, attempt);
    } finally {
      lease.release();
    }
  }

  /**
   * No agent here may take the task: back to its queue for another worker when ours take no new
   * tasks (unregistered or draining), else it fails (no agent here has what it needs).
   */
  private async refused(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, error: unknown): Promise<never> {
    if (!(error instanceof AgentUnavailableError)) return this.outcomes.failed(tag, job, token, error, true);
    this.logger.log({ sessionId: job.data.sessionId, taskId: job.data.taskId, agents: error.agentIds }, 'task handed back: its agents here take no new tasks');
    await job.moveToWait(token);
    throw new WaitingError();
  }

  /**
   * Runs `finishing`, a task's completion outside its agent's run (with an operator's output, or
   * its subtasks'): an output over a limit fails the task by its policy, as a failed run would.
   */
  private async failingOverLimits(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, finishing: () => Promise<unknown>): Promise<unknown> {
    try {
      return await finishing();
    } catch (error) {
      if (error instanceof OutputTooLargeError || error instanceof SessionOutputsFullError) return this.outcomes.failed(tag, job, token, error);
      throw error;
    }
  }

  /**
   * Completes a task whose subtasks all completed: with its agent's `output`, or their results
   * (checked against the output limits, `heldBytes` being what the session's outputs held when
   * the task started).
   */
  private async finishDecomposed(tag: ShardTag, task: TaskJobData, heldBytes?: number): Promise<unknown> {
    const subtasks = await this.store.outputsOf(tag, task.sessionId, task.childIds);
    const output = task.decomposition?.output !== undefined ? task.decomposition.output : subtasks;
    checkOutput(task, output, this.config, heldBytes);
    this.log.write(
      tag,
      { level: 'info', source: 'task', sessionId: task.sessionId, taskId: task.taskId, message: 'task completed after its subtasks' },
      this.logger,
    );
    await this.outcomes.finish(tag, task, { status: 'completed', output });
    return output;
  }

  /**
   * A task still waiting for a dependency goes (back) to the delayed set until the resolver
   * promotes it. The count is read again after the move: a dependency that completed in between
   * tried to promote a job that was still active, so the promotion is done here instead.
   * (Children need no such care: BullMQ runs a parent only after all of them completed.)
   */
  private async hold(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined): Promise<void> {
    const { sessionId, taskId } = job.data;
    // Its status is still `waiting`: only the resolver's last wake-up marks it ready.
    await job.moveToDelayed(Date.now() + HOLD_DELAY_MS, token);
    if ((await this.store.pendingCount(tag, sessionId, taskId)) === 0) {
      await this.queues.promote(tag, job.queueName, job.id!);
    }
  }
}
