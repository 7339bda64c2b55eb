/**
 * The BullMQ adapter: what Switchyard needs of BullMQ that its public API (Queue, Job,
 * FlowProducer, Worker) does not offer, in one place. BullMQ is pinned exactly (bullmq 6.7.0 in
 * package.json); test/adapter-bullmq.e2e-spec.ts fails on an upgrade that changes any of these:
 *
 * - `RedisQueueBackend.addJobToTransaction(transaction, jobData, jobId, parentKeyOpts, keys)`:
 *   BullMQ's own insert of one job into a caller's transaction (what FlowProducer uses), so that a
 *   session's own record and all its jobs go into one MULTI and a session starts all or nothing.
 * - `RedisQueueBackend.execCommand(client, name, args)`: runs one of BullMQ's Lua scripts by its
 *   base name. Used for `releaseParentIfNoPendingDependencies` (a flow's parent, once all its
 *   children are in) and for `promote` (a held job, in the same MULTI as the write-back that
 *   makes it ready: see engine/hand-off.ts), each with its KEYS/ARGV layout as BullMQ's own
 *   callers build it. (Elsewhere a held job is promoted with the public `Job.promote`.)
 * - Both call nothing on the transaction they are given but `runCommand(name, args)`, with
 *   `name` the script's name suffixed by BullMQ's version: that is what {@link FlowTransaction}
 *   records, to send later on the shared connection as one MULTI (see `transaction` in the
 *   ioredis adapter).
 * - The keys of a queue's waiting jobs and how their scores are made (`wait`, `prioritized`,
 *   `delayed`, and a job's `timestamp`): {@link readQueueBacklog} reads them in one script, since
 *   BullMQ's own counts cannot tell delayed jobs that are due from those that are not, nor find
 *   the oldest waiting job without reading every one.
 * - The names of a queue's own keys ({@link QUEUE_KEY_SUFFIXES}): {@link expireQueueKeys} gives
 *   them a time to live, for a worker's canary queue that must not outlive a killed worker.
 * - The name BullMQ gives a Worker's connection (`<prefix>:<base64 of the queue>`, `:w:<name>`
 *   after it for a named Worker), which `Queue.getWorkersCount()` matches in CLIENT LIST:
 *   {@link workersPerQueue} counts every queue's Workers from one CLIENT LIST per master.
 */
export { FlowTransaction } from './flow-transaction';
export type { FlowEntry } from './flow-transaction';
export { readQueueBacklog, BACKLOG_PRIORITY_LEVELS } from './queue-backlog';
export type { QueueBacklogReading } from './queue-backlog';
export { expireQueueKeys, QUEUE_KEY_SUFFIXES } from './queue-keys';
export { workersPerQueue } from './worker-connections';
