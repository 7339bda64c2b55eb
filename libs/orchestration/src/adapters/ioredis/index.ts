/**
 * The ioredis adapter: what Switchyard needs of ioredis beyond its public command API, in one
 * place. ioredis is pinned exactly (ioredis 6.0.0 in package.json); these contract tests fail on
 * an upgrade that changes what it relies on: test/adapter-ioredis.e2e-spec.ts,
 * test/socket-writes.e2e-spec.ts and test/bounded-wait-redis.e2e-spec.ts.
 *
 * - `scriptsSet` (defined-scripts.ts): the scripts defined on a client with `defineCommand`
 *   (BullMQ's), by name with their source, to load them back into a Redis that lost them.
 * - `client.stream`, the connection's socket, corked and uncorked (socket-writes.ts): what
 *   concurrent callers send in one tick, or a transaction's MULTI … EXEC, leaves in one write.
 *   ioredis writes each command to that socket as it is sent, in order.
 *   On a cluster connection, each master's socket (`cluster.nodes('master')`, each `.stream`).
 * - A `Cluster` (cluster-connection.ts): handed around typed as a Redis (the same command API);
 *   its MULTI is gathered through an `Object.create(cluster)` whose `sendCommand` keeps each
 *   `Command`, then sent with `cluster.sendCommand(command, undefined, { slot })` (the node
 *   argument a pipeline uses: the slot's master, no redirection per command), and sent again as
 *   a `multi()` pipeline when Redis redirected it (socket-writes.ts `transaction`,
 *   test/cluster-transaction.e2e-spec.ts);
 *   `CLUSTER SLOTS` and the `+node`/`-node` events tell where shards live; `nodes('master')`, each
 *   node's connection opened before a bounded (no offline queue) connection is used. test/cluster.e2e-spec.ts
 *   runs the apps on a real cluster.
 * - `new Command(name, [], { replyEncoding })` with its `args` set after it (flat-command.ts):
 *   a script call whose many arguments are flat already skips ioredis' `Array.prototype.flat`,
 *   slow on Node 20.
 * - `sendCommand(command)` (bounded-wait-redis.ts), which every command passes through (plain,
 *   scripted or in a MULTI) and which settles through the command's `reject` whatever fails it:
 *   BoundedWaitRedis overrides it to type those failures.
 */
export { BoundedWaitRedis } from './bounded-wait-redis';
export { clusterConnection, connectMasters, isCluster, onTopologyChange, seedsName, slotRanges } from './cluster-connection';
export type { ClusterConnectionOptions, ClusterSeed, SlotRange } from './cluster-connection';
export type { BoundedWaitOptions } from './bounded-wait-redis';
export { loadDefinedScripts } from './defined-scripts';
export { sendFlat } from './flat-command';
export { hashReply, inOneWrite, oneWritePerTick, repliesOrThrow, transaction, writeNow } from './socket-writes';
export type { TransactionReplies } from './socket-writes';
