import { Inject, Injectable } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { RedisConnections } from '../redis/redis-connections.service';
import { bullJobKey, jobIds, keys, ROOT_WAITER, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { StateKeys } from '../state/state-keys';
import { PLANNING_CAPABILITY } from './planning-capability';
import { expireSession } from './scripts/expire-session';
import { expireTasks, JOB_KEY_SUFFIXES, TaskBatch } from './scripts/expire-tasks';
import { TASK_BATCH } from './scripts/limits';
import { inOneWrite } from '../adapters/ioredis';

/**
 * Cleans up after a finished session: every key it left in Redis gets the retention
 * (SWITCHYARD_RETENTION_S) as its time to live.
 */
@Injectable()
export class SessionRetention {
  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /**
   * Gives every key of a finished session a time to live, so it is cleaned up after the
   * retention period: its own keys and its BullMQ jobs' (BullMQ's removeOnComplete / removeOnFail
   * ages remove a job only when a later job of its queue finishes). `knownTaskIds` saves reading
   * how many tasks the session has. `tasksFinished`: every task finished through finish-task.lua (a
   * completed session), which gave its job a time to live already.
   */
  async expire(tag: ShardTag, sessionId: string, options: { knownTaskIds?: readonly string[]; tasksFinished?: boolean } = {}): Promise<void> {
    const { knownTaskIds } = options;
    const client = this.redis.client;
    const seconds = this.config.retentionSeconds;
    const count = knownTaskIds?.length ?? (await client.llen(keys.taskIds(tag, sessionId)));
    const writes: Promise<unknown>[] = [];
    const retained = [
      keys.session(tag, sessionId),
      keys.sharedState(tag, sessionId),
      keys.outputs(tag, sessionId),
      keys.taskIds(tag, sessionId),
      keys.events(tag, sessionId),
      keys.log(tag, sessionId),
      keys.steps(tag, sessionId),
      // What the root job still waits for, if the session ended before its top-level tasks did.
      keys.pendingDeps(tag, sessionId, ROOT_WAITER),
    ];
    // The session's root job and planning job, with what BullMQ keeps beside each.
    for (const job of [bullJobKey(tag, SESSION_QUEUE, jobIds.root(sessionId)), bullJobKey(tag, PLANNING_CAPABILITY, jobIds.plan(sessionId))]) {
      for (const suffix of JOB_KEY_SUFFIXES) retained.push(job + suffix);
    }
    const state = new StateKeys(tag, sessionId);
    // The tasks' keys and jobs in batches of the task list, the first with everything else, one
    // script call each; the last batch runs to the end of the list, whatever was appended since it
    // was counted.
    const taskIds = keys.taskIds(tag, sessionId);
    const tasks = {
      taskPrefix: keys.task(tag, sessionId, ''),
      pendingPrefix: keys.pendingDeps(tag, sessionId, ''),
      jobPrefix: options.tasksFinished ? '' : `${tag}:`,
      jobIdPrefix: jobIds.task(sessionId, ''),
    };
    inOneWrite(client, () => {
      for (let from = 0; from === 0 || from < count; from += TASK_BATCH) {
        const batch: TaskBatch = { ...tasks, from, to: from + TASK_BATCH >= count ? -1 : from + TASK_BATCH - 1 };
        writes.push(
          from === 0
            ? expireSession(client, { keys: { taskIds, stateIndex: state.index, retained, stateFixed: state.fixed() }, seconds, batch })
            : expireTasks(client, { taskIds, seconds, batch }),
        );
      }
    });
    await Promise.all(writes);
  }
}
