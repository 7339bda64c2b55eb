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
 *   children are in) and `promote` (a delayed job to its wait list), with their KEYS/ARGV layouts.
 * - Both call nothing on the transaction they are given but `runCommand(name, args)`, with
 *   `name` the script's name suffixed by BullMQ's version: that is what {@link FlowTransaction}
 *   records, to send later on the shared connection as one MULTI (see `transaction` in the
 *   ioredis adapter).
 * - `createIORedisClient(redis)`: BullMQ's wrapper that gives an ioredis client `runCommand`.
 * - The name BullMQ gives a Worker's connection (`<prefix>:<base64 of the queue>`, `:w:<name>`
 *   after it for a named Worker), which `Queue.getWorkersCount()` matches in CLIENT LIST:
 *   {@link workersPerQueue} counts every queue's Workers from one CLIENT LIST per master.
 */
export { FlowTransaction, sendPromote } from './flow-transaction';
export type { FlowEntry } from './flow-transaction';
export { workersPerQueue } from './worker-connections';
