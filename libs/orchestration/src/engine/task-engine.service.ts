import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, WaitingChildrenError } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionLogWriter } from '../log/session-log.writer';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import type { RunAbort } from '../runtime/run-abort';
import { currentWorker } from '../runtime/worker-identity';
import { SessionStore } from '../sessions/session.store';
import { SessionStatus } from '../sessions/session.types';
import { AgentLease, TaskDecode } from './decode.service';
import { TaskExceptions } from './exception.service';
import { startedEntry, TaskExecute } from './execute.service';
import { FetchRun, TaskFetch, TaskStart } from './fetch.service';
import { checkOutput } from './output-limits';
import { SubtaskSpawner } from './subtask-spawner.service';
import { TaskWaits } from './wait-step.service';
import { TaskWriteBack } from './write-back.service';
import { WriteBackRecovery } from './write-back-recovery.service';

/**
 * Whether the task's agent is chosen before it is fetched, so that the fetch marks it running at
 * once: any task but one that can pause (an approval, or `onFailure: ask`, which may find an
 * operator's decision waiting), that runs no agent (a wait, a signal) or that comes back after
 * the subtasks its agent spawned.
 */
const runsAtOnce = (task: TaskJobData) => task.kind === 'task' && task.onFailure !== 'ask' && !task.decomposition;

/**
 * Runs one task job through the execution model: fetch (start-task.lua: the job, held back while
 * anything it waits for is unfinished), decode (pick a hosted agent), execute (with its
 * dependencies' results, the shared context, a timeout and an AbortSignal), write back (output,
 * state, wake the waiters), and exceptions (retry by BullMQ, or the failure policy on the last
 * attempt). What the fetch found is handled in one switch ({@link step}).
 */
@Injectable()
export class TaskEngine {
  private readonly logger = new Logger(TaskEngine.name);
  private readonly worker = currentWorker();

  constructor(
    private readonly fetcher: TaskFetch,
    private readonly decoder: TaskDecode,
    private readonly executor: TaskExecute,
    private readonly writeBack: TaskWriteBack,
    private readonly recovery: WriteBackRecovery,
    private readonly exceptions: TaskExceptions,
    private readonly spawner: SubtaskSpawner,
    private readonly waits: TaskWaits,
    private readonly store: SessionStore,
    private readonly log: SessionLogWriter,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async execute(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, abort?: RunAbort): Promise<unknown> {
    if (!runsAtOnce(job.data)) return this.step(tag, job, token, abort);
    return this.decoder.withAgent(tag, job, token, (lease) => this.step(tag, job, token, abort, lease));
  }

  /** Fetches the task (marking it running when an agent is chosen) and acts on what the fetch found. */
  private async step(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, abort?: RunAbort, lease?: AgentLease): Promise<unknown> {
    const fetched = await this.fetcher.fetch(tag, job.data, lease && (await this.runOf(tag, job.data, lease)));
    switch (fetched.kind) {
      case 'ended':
        return this.ended(tag, job.data, fetched.status);
      case 'done':
        // Completed before, but its job did not finish (a failure after the write-back, or a
        // worker that died): do not run the agent again, only make sure its waiters were woken.
        await this.writeBack.finish(tag, job.data, { status: 'completed', output: fetched.output });
        return fetched.output;
      case 'hold':
        return this.held(tag, job, token);
      case 'overBudget':
        await this.exceptions.overBudget(tag, job.data.sessionId, fetched.exceeded, job.data.taskId);
        return this.ended(tag, job.data, 'failed');
      case 'go':
        if (lease) return this.executor.run(tag, job, token, abort, lease, fetched.start);
        return this.decide(tag, job, token, abort, fetched.start);
    }
  }

  /** The run a fetch marks with `lease`'s agent; "task started" goes into the session's log with it. */
  private async runOf(tag: ShardTag, task: TaskJobData, lease: AgentLease): Promise<FetchRun> {
    const agentId = lease.agent.descriptor.id;
    // The fetch fills in the attempt; entries logged before are written first.
    const started = this.log.scripted(tag, startedEntry(task.sessionId, task.taskId, agentId, task.capabilities), 'attempt');
    await this.log.flushBefore();
    return { agentId, worker: this.worker, started };
  }

  /** The session ended (or expired) while this job waited: start nothing new. */
  private async ended(tag: ShardTag, task: TaskJobData, status: SessionStatus | undefined): Promise<null> {
    if (status === undefined) return null;
    const { sessionId, taskId } = task;
    this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: `task not started: the session is ${status}` });
    await this.store.setTaskStatus(tag, sessionId, taskId, 'cancelled', { finished: true });
    return null;
  }

  /** Something the task waits for has not finished: hold the job (after recovering what was lost). */
  private async held(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined): Promise<never> {
    const task = job.data;
    const { sessionId, taskId } = task;
    // Its subtasks are recorded, and some have not finished, but the job is not waiting for
    // them: its worker died while enqueuing them. Finish that, and wait.
    if (task.decomposition?.tasks && (await this.spawner.resume(tag, job, token))) throw new WaitingChildrenError();
    // A child or dependency it still waits for completed without its write-back (its worker
    // died): its job has its result. Once written back, the next fetch finds nothing pending and
    // goes on. (Spawned subtasks are among its children: spawn adds them to `childIds`.)
    if (task.childIds.length > 0 || task.dependsOn.length > 0) {
      const pending = new Set(await this.store.pendingIds(tag, sessionId, taskId));
      if (task.childIds.length > 0) await this.recovery.recoverChildren(tag, job, pending);
      if (task.dependsOn.length > 0) await this.recovery.recoverDependencies(tag, task, pending);
    }
    this.log.write(tag, { level: 'debug', source: 'task', sessionId, taskId, message: 'task held: a dependency has not finished' });
    await this.fetcher.hold(tag, job, token);
    throw new DelayedError();
  }

  /**
   * A task that may go but whose agent was not chosen first (see runsAtOnce): an operator's
   * decision may be waiting for it, or its subtasks' results; otherwise its agent is chosen now
   * and it is fetched again, marked running.
   */
  private async decide(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, abort: RunAbort | undefined, start: TaskStart): Promise<unknown> {
    const task = job.data;
    const { sessionId, taskId } = task;
    // Only tasks that can pause can have an operator's decision waiting for them.
    const resolution = task.kind === 'approval' || task.onFailure === 'ask' ? await this.store.takeResolution(tag, sessionId, taskId) : undefined;
    if (resolution?.action === 'skip') {
      this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: 'task skipped by the operator' });
      await this.writeBack.finish(tag, task, { status: 'skipped' });
      return null;
    }
    if (resolution?.action === 'provide') {
      const output = resolution.output ?? null;
      return this.exceptions.failingOverLimits(tag, job, token, async () => {
        checkOutput(task, output, this.config, start.outputBytes);
        this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: 'task completed with the output the operator provided' });
        await this.writeBack.finish(tag, task, { status: 'completed', output });
        return output;
      });
    }
    if (!resolution && task.kind === 'approval') return this.exceptions.pause(tag, job, token, 'operator approval');
    // A wait or a signal runs no agent: its job waits in the delayed set (an operator's retry after a time-out waits afresh).
    if (task.kind === 'wait' || task.kind === 'signal') return this.waits.step(tag, job, token, resolution?.action === 'retry');
    // Back after the subtasks its agent spawned: finish with their results, without running
    // again — unless its worker died before it recorded them: then enqueue them, and wait.
    if (task.decomposition) {
      if (task.decomposition.tasks && !(await this.spawner.recorded(tag, task)) && (await this.spawner.resume(tag, job, token))) {
        throw new WaitingChildrenError();
      }
      return this.exceptions.failingOverLimits(tag, job, token, () => this.writeBack.finishDecomposed(tag, task, start.outputBytes));
    }
    return this.decoder.withAgent(tag, job, token, (lease) => this.step(tag, job, token, abort, lease));
  }
}
