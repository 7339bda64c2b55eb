import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, WaitingError } from 'bullmq';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { AgentUnavailableError } from '../errors/errors';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { TaskExceptions } from './exception.service';

/** A hosted agent chosen for a task, counted against its load until released. */
export type AgentLease = ReturnType<LocalAgentPool['acquire']>;

/**
 * The decode step: reads a task's requirements (capabilities, agent type) and picks the hosted
 * agent that runs it, by the registry's selection rule (see LocalAgentPool). The one place an
 * agent is taken for a task and given back.
 */
@Injectable()
export class TaskDecode {
  private readonly logger = new Logger(TaskDecode.name);

  constructor(
    @Inject(LocalAgentPool) private readonly pool: Pick<LocalAgentPool, 'acquire'>,
    private readonly exceptions: TaskExceptions,
  ) {}

  /**
   * Runs `run` with an agent chosen for the task's job, and releases the agent when it ends,
   * however it ends. When no agent here may take the task, `run` does not run: the job goes back
   * to its queue for another worker when ours take no new tasks (unregistered or draining), else
   * it fails (no agent here has what it needs).
   */
  async withAgent<T>(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, run: (lease: AgentLease) => Promise<T>): Promise<T> {
    const task = job.data;
    let lease: AgentLease;
    try {
      lease = this.pool.acquire(task.taskId, { capabilities: task.capabilities, agentType: task.agentType });
    } catch (error) {
      return this.refused(tag, job, token, error);
    }
    try {
      return await run(lease);
    } finally {
      lease.release();
    }
  }

  private async refused(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, error: unknown): Promise<never> {
    if (!(error instanceof AgentUnavailableError)) return this.exceptions.failed(tag, job, token, error, true);
    this.logger.log({ sessionId: job.data.sessionId, taskId: job.data.taskId, agents: error.agentIds }, 'task handed back: its agents here take no new tasks');
    await job.moveToWait(token);
    throw new WaitingError();
  }
}
