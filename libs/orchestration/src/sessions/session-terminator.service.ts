import { Injectable, Logger } from '@nestjs/common';
import { jobIds, ShardTag } from '../redis/keys';
import { TaskQueues } from '../queues/task-queues.service';
import { SessionStore } from './session.store';
import { FailureInfo, SessionStatus } from './session.types';

const UNFINISHED: readonly SessionStatus[] = ['pending', 'planning', 'running', 'paused'];
const IDLE_TASK = new Set(['waiting', 'ready', 'paused']);

/** Ends a session that cannot go on: records why, and removes its work that has not started. */
@Injectable()
export class SessionTerminator {
  private readonly logger = new Logger(SessionTerminator.name);

  constructor(
    private readonly store: SessionStore,
    private readonly queues: TaskQueues,
  ) {}

  /**
   * Fails the session (once: later calls change nothing). Tasks that had not started are marked
   * cancelled and their jobs removed from their queues; running ones finish on their own and
   * their results are kept but start nothing new.
   */
  async fail(tag: ShardTag, sessionId: string, error: FailureInfo): Promise<boolean> {
    const moved = await this.store.transition(tag, sessionId, UNFINISHED, 'failed', {
      error: JSON.stringify(error),
      finishedAt: new Date().toISOString(),
    });
    if (!moved) return false;
    this.logger.warn({ sessionId, taskId: error.taskId, error: error.message }, 'session failed');
    await this.cancelIdleTasks(tag, sessionId);
    return true;
  }

  private async cancelIdleTasks(tag: ShardTag, sessionId: string): Promise<void> {
    const view = await this.store.view(tag, sessionId);
    if (!view) return;
    await Promise.all(
      view.tasks
        .filter((task) => IDLE_TASK.has(task.status))
        .map(async (task) => {
          await this.queues.removeIfIdle(tag, task.capabilities[0], jobIds.task(sessionId, task.id));
          await this.store.setTaskStatus(tag, sessionId, task.id, 'cancelled', { finished: true });
        }),
    );
  }
}
