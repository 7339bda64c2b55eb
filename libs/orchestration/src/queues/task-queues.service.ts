import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { FlowJob, FlowProducer, Job, Queue } from 'bullmq';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardTag } from '../redis/keys';

/**
 * The BullMQ producers of this process: one Queue per (shard, queue name), made on first use,
 * and one FlowProducer. All share the process's command connection.
 */
@Injectable()
export class TaskQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private flowProducer?: FlowProducer;

  constructor(private readonly redis: RedisConnections) {}

  queue(tag: ShardTag, name: string): Queue {
    const key = `${tag}/${name}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis.client, prefix: tag });
      // Without a listener BullMQ prints every connection error; the connection's own handler
      // already reports them once, as a warning.
      queue.on('error', () => undefined);
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Adds a whole flow atomically (BullMQ writes every job of it in one MULTI). */
  async addFlow(flow: FlowJob): Promise<void> {
    await this.withScripts(() => this.producer().add(flow));
  }

  /** Adds several flows in one MULTI. */
  async addFlows(flows: FlowJob[]): Promise<void> {
    await this.withScripts(() => this.producer().addBulk(flows));
  }

  /**
   * Runs `add` again once Redis' scripts are loaded back, if it failed because Redis lost them
   * (SCRIPT FLUSH). ioredis sends a script by its SHA once the connection has sent it, and a
   * NOSCRIPT answer inside a MULTI (a flow) does not make it send the script again, so every
   * flow would fail until the connection is made again. A flow's jobs have fixed ids: those of
   * them a failed MULTI added are not added twice.
   */
  private async withScripts<T>(add: () => Promise<T>): Promise<T> {
    try {
      return await add();
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      const client = this.redis.client;
      const scripts = Object.values(client.scriptsSet as Record<string, { lua: string }>);
      await Promise.all(scripts.map((script) => client.script('LOAD', script.lua)));
      return add();
    }
  }

  private producer(): FlowProducer {
    this.flowProducer ??= new FlowProducer({ connection: this.redis.client });
    return this.flowProducer;
  }

  /**
   * Moves a held (delayed) job to its queue's wait list. A job that is no longer delayed was
   * already moved by someone else, which is fine; anything else is an error.
   */
  async promote(tag: ShardTag, queueName: string, jobId: string): Promise<void> {
    // A Job made from its id alone: promote() needs nothing else, and the job's hash is not read.
    const job = new Job(this.queue(tag, queueName), 'promote', {}, {}, jobId);
    for (let tries = 1; ; tries++) {
      try {
        await job.promote();
        return;
      } catch (error) {
        // Not delayed (yet): a worker may be moving it to the delayed set right now, to hold it
        // for this very dependency; then it is delayed when we look, and promoting it is right.
        if ((await job.getState()) !== 'delayed') return;
        if (tries >= 5) throw error;
      }
    }
  }

  /** Removes a job that has not started; answers false when it is running (locked) or gone. */
  async removeIfIdle(tag: ShardTag, queueName: string, jobId: string): Promise<boolean> {
    try {
      // Each task of a session is removed on its own, so children are not taken with a parent.
      return (await this.queue(tag, queueName).remove(jobId, { removeChildren: false })) === 1;
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flowProducer?.close();
  }
}
