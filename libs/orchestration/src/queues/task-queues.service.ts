import { randomUUID } from 'node:crypto';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { FlowJob, Job, Queue } from 'bullmq';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardTag } from '../redis/keys';

/** What BullMQ's addFlow takes for one job of a flow. */
type FlowEntry = ReturnType<Job['toFlowEntry']>;

/** A flow job's parent, as a BullMQ job option names it (`queue` is the qualified queue name). */
interface ParentRef {
  readonly id: string;
  readonly queue: string;
}

/** A flow's job could not be added (BullMQ's addJob answered an error code). */
export class FlowJobRejectedError extends Error {
  override readonly name = 'FlowJobRejectedError';
  constructor(
    readonly jobId: string,
    readonly code: number | string,
  ) {
    super(`BullMQ refused to add job ${jobId} of a flow (${code}): its parent job is missing or cannot take it`);
  }
}

/**
 * The BullMQ producers of this process: one Queue per (shard, queue name), made on first use.
 * All share the process's command connection.
 */
@Injectable()
export class TaskQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();

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

  /**
   * Adds a whole flow atomically: every job in one MULTI, parents before their children, each
   * parent waiting for its children, as BullMQ's FlowProducer does. The jobs are made with this
   * process's Queue objects and handed to BullMQ's own addFlow, instead of FlowProducer's new
   * queue backend, key map and trace span per job: a 5,000-task plan costs about half the CPU.
   */
  async addFlow(flow: FlowJob): Promise<void> {
    await this.addFlows([flow]);
  }

  /** Adds several flows in one MULTI (a flow's root may name an existing `opts.parent`). */
  async addFlows(flows: FlowJob[]): Promise<void> {
    const entries: FlowEntry[] = [];
    for (const flow of flows) this.collect(entries, flow, flow.opts?.parent);
    if (entries.length === 0) return;
    const backend = this.queue(entries[0].prefix as ShardTag, entries[0].queueName).backend;
    await this.withScripts(async () => {
      const results = await backend.addFlow(entries);
      results.forEach(([error, reply], i) => {
        if (error) throw error;
        if (typeof reply === 'number' && reply < 0) throw new FlowJobRejectedError(entries[i].jobId, reply);
      });
    });
  }

  /** Appends the entries of `node` and its descendants (parents first) to `entries`. */
  private collect(entries: FlowEntry[], node: FlowJob, parent: ParentRef | undefined): void {
    const queue = this.queue(node.prefix as ShardTag, node.queueName);
    const jobId = node.opts?.jobId ?? randomUUID();
    const job = new Job(queue, node.name, node.data, { ...node.opts, parent }, jobId);
    const parentKey = parent ? `${parent.queue}:${parent.id}` : undefined;
    const children = node.children ?? [];
    entries.push(
      job.toFlowEntry({
        ...(parentKey ? { parentKey, parentDependenciesKey: `${parentKey}:dependencies` } : {}),
        ...(children.length > 0 ? { addToWaitingChildren: true } : {}),
      }),
    );
    for (const child of children) this.collect(entries, child, { id: jobId, queue: queue.qualifiedName });
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
  }
}
