import { Injectable } from '@nestjs/common';
import { SwitchyardError } from '../errors/errors';
import { RedisConnections } from '../redis/redis-connections.service';
import { keys, ShardTag } from '../redis/keys';

/** A step's result that JSON cannot carry (a function, a bigint, a cycle): it could not be kept. */
export class StepResultError extends SwitchyardError {
  override readonly name = 'StepResultError';
  readonly code = 'step_result_not_json';
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super(`The result of step "${step}" cannot be kept as JSON: ${detail}`);
  }
}

/** Which task's steps: a task of a session (or the session's planning step). */
export interface StepOwner {
  readonly tag: ShardTag;
  readonly sessionId: string;
  readonly taskId: string;
}

/**
 * Durable steps (`context.step(name, fn)`): a step's result is kept in the session's steps hash
 * once `fn` resolves, under the task's id and the step's name, and a later run of the task (a
 * retry, or another worker after this one died) gets it back without running `fn` again. A step
 * that failed keeps nothing, so a retry runs it again. One HSET per step: nothing to make atomic.
 */
@Injectable()
export class StepStore {
  constructor(private readonly redis: RedisConnections) {}

  async run<T>(owner: StepOwner, name: string, fn: () => Promise<T>): Promise<T> {
    const key = keys.steps(owner.tag, owner.sessionId);
    const field = `${owner.taskId} ${name}`;
    const kept = await this.redis.client.hget(key, field);
    if (kept !== null) return (JSON.parse(kept) as { v: T }).v;
    const result = await fn();
    let json: string;
    try {
      json = JSON.stringify({ v: result });
    } catch (error) {
      throw new StepResultError(name, (error as Error).message);
    }
    await this.redis.client.hset(key, field, json);
    return result;
  }

  /** The step function of one task's context. */
  forTask(owner: StepOwner): <T>(name: string, fn: () => Promise<T>) => Promise<T> {
    return (name, fn) => this.run(owner, name, fn);
  }
}
