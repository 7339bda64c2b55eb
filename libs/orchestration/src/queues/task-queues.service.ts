import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { FlowJob, Job, Queue } from 'bullmq';
import { FlowEntry, FlowTransaction } from '../adapters/bullmq';
import { loadDefinedScripts, transaction, TransactionReplies } from '../adapters/ioredis';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardTag } from '../redis/keys';

/** Jobs of a flow added to its MULTI between two turns of the event loop (see TaskQueues.writeFlow). */
const FLOW_SLICE = 500;

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
  /**
   * Whether BullMQ has defined its scripts on the shared connection: the first Queue on it does,
   * once ready. The flow writer calls them by name without awaiting a Queue, which
   * on a fresh connection would find them missing.
   */
  private scriptsDefined = false;

  constructor(@Inject(RedisConnections) private readonly redis: Pick<RedisConnections, 'client'>) {}

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
   * parent waiting for its children, as BullMQ's FlowProducer does (see {@link writeFlow}).
   */
  async addFlow(flow: FlowJob): Promise<void> {
    await this.addFlows([flow]);
  }

  /**
   * Adds several flows in one MULTI (a flow's root may name an existing `opts.parent`). `before`
   * sends, with the client it is given, commands that go into the same MULTI ahead of the jobs
   * (a session's own record, see PlanEnqueuer.start): all of it reaches Redis at once, and a
   * command Redis refuses as it is queued (out of memory, say) aborts the whole transaction. An
   * error in one of their replies is thrown.
   */
  async addFlows(flows: FlowJob[], before?: (client: Redis) => Promise<unknown>[]): Promise<void> {
    const entries: FlowEntry[] = [];
    for (const flow of flows) this.collect(entries, flow, flow.opts?.parent);
    if (entries.length === 0) return;
    let ahead = before;
    await this.withScripts(async () => {
      // Sent once: should the jobs need a second try (Redis lost BullMQ's scripts), these were
      // written by the first.
      const sent = ahead;
      ahead = undefined;
      const { prior, jobs } = await this.writeFlow(entries, sent);
      for (const [error] of prior) if (error) throw error;
      jobs.forEach(([error, reply], i) => {
        if (error) throw error;
        if (typeof reply === 'number' && reply < 0) throw new FlowJobRejectedError(entries[i].jobId, reply);
      });
    });
  }

  /**
   * Writes a flow's jobs in one MULTI, as BullMQ's RedisQueueBackend.addFlow does: each job with
   * BullMQ's own insert, its parent released only once the whole tree is in (see
   * FlowTransaction). Two differences: the jobs are made with this process's Queue objects
   * (FlowProducer makes a queue backend, a key map and a trace span for every job), and the event
   * loop gets a turn every FLOW_SLICE jobs while the MULTI is built, so a plan of thousands of
   * tasks does not hold up everything else the process does for the whole of its build. Redis
   * gets the whole MULTI at once, after what `before` sends. Answers the replies to those
   * (`prior`) and BullMQ's reply for each job, in order.
   */
  private async writeFlow(
    entries: FlowEntry[],
    before?: (client: Redis) => Promise<unknown>[],
  ): Promise<{ prior: TransactionReplies; jobs: [Error | null, string | number][] }> {
    const first = this.queue(entries[0].prefix as ShardTag, entries[0].queueName);
    if (!this.scriptsDefined) await this.defineScripts(first);
    const flow = new FlowTransaction();
    const parents = new Map<string, { key: string; id: string; queueKey: string }>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      flow.addJob(this.queue(entry.prefix as ShardTag, entry.queueName), entry);
      const parent = entry.jobData.parent;
      const parentKey = entry.parentKeyOpts?.parentKey;
      if (parent?.id && parentKey) parents.set(parentKey, { key: parentKey, id: parent.id, queueKey: parent.queueKey });
      if (i % FLOW_SLICE === FLOW_SLICE - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    const now = Date.now();
    for (const parent of parents.values()) flow.releaseParent(first, parent, now);
    let priorCount = 0;
    const results = await transaction(this.redis.client, (client) => {
      const prior = before?.(client) ?? [];
      priorCount = prior.length;
      return [...prior, ...flow.sendWith(client)];
    });
    const jobsEnd = priorCount + entries.length;
    for (const [error] of results.slice(jobsEnd)) if (error) throw error;
    return { prior: results.slice(0, priorCount), jobs: results.slice(priorCount, jobsEnd) as [Error | null, string | number][] };
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
      await loadDefinedScripts(this.redis.client);
      return add();
    }
  }

  /**
   * BullMQ's promotions of held (delayed) jobs of shard `tag`, recorded to go into a caller's
   * transaction (see FlowTransaction.promote). Each answers 0, or a negative code when its job
   * was not delayed (see {@link promote}, which looks closer).
   */
  async promotions(tag: ShardTag, jobs: readonly { queue: string; jobId: string }[]): Promise<FlowTransaction> {
    const recorded = new FlowTransaction();
    if (jobs.length === 0) return recorded;
    if (!this.scriptsDefined) await this.defineScripts(this.queue(tag, jobs[0].queue));
    for (const { queue, jobId } of jobs) recorded.promote(this.queue(tag, queue), jobId);
    return recorded;
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

  private async defineScripts(queue: Queue): Promise<void> {
    await queue.waitUntilReady();
    this.scriptsDefined = true;
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
