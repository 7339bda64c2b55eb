import type { Command, Redis } from 'ioredis';
import { isCluster } from './cluster-connection';

const corked = new WeakSet<object>();

type Socket = NonNullable<Redis['stream']>;

/** The sockets `client` writes to when ready: its own, or on a cluster each master's. */
function socketsOf(client: Redis): Socket[] {
  if (client.status !== 'ready') return [];
  if (!isCluster(client)) return client.stream ? [client.stream] : [];
  const masters = (client as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
  return masters.filter((node) => node.status === 'ready' && node.stream).map((node) => node.stream);
}

/**
 * Holds back what `client` writes to its socket until the current tick ends, so the commands that
 * concurrent callers send in one tick (say, every transaction whose previous reply came in the
 * same packet) leave in one write instead of one system call each. Order and replies are
 * unchanged; only the socket writes are gathered. A client that is not connected is left alone
 * (its commands wait in ioredis' offline queue anyway).
 */
export function oneWritePerTick(client: Redis): void {
  for (const stream of socketsOf(client)) {
    if (corked.has(stream)) continue;
    corked.add(stream);
    stream.cork();
    process.nextTick(() => {
      corked.delete(stream);
      stream.uncork();
    });
  }
}

/**
 * Puts on the socket now what `client` holds back for the end of the tick (see
 * {@link oneWritePerTick}); what it sends after this in the tick is held back again.
 */
export function writeNow(client: Redis): void {
  for (const stream of socketsOf(client)) {
    if (!corked.has(stream)) continue;
    stream.uncork();
    stream.cork();
  }
}

/**
 * Runs `send`, which sends commands with `client`, and puts what it sent on the socket in one
 * write — what an ioredis pipeline does, without building one: a Pipeline copies every script
 * defined on its client (BullMQ defines about 60) into itself before its first command, which
 * costs more than the few commands a batch here carries.
 */
export function inOneWrite<T>(client: Redis, send: () => T): T {
  // On a cluster connection, each master's socket: the commands for one master leave in one write.
  const streams = socketsOf(client);
  for (const stream of streams) stream.cork();
  try {
    return send();
  } finally {
    for (const stream of streams) stream.uncork();
  }
}

/** EXEC's answer: per command, its error or Redis' own reply (not transformed: HGETALL answers a flat array). */
export type TransactionReplies = [error: Error | null, reply: unknown][];

/**
 * Runs the commands `send` sends with `client` as one MULTI … EXEC transaction, all of it on the
 * socket in one write (see {@link inOneWrite}): what `client.multi()…exec()` does, without the
 * ioredis Pipeline it builds. Nothing else can come between MULTI and EXEC on the connection, as
 * everything is sent before this returns; if `send` throws, DISCARD follows what it sent, and the
 * error is thrown. Answers EXEC's replies; rejects, with Redis' own error,
 * when Redis refused a command before EXEC (the transaction is then discarded whole).
 */
export async function transaction(client: Redis, send: (client: Redis) => Promise<unknown>[]): Promise<TransactionReplies> {
  if (isCluster(client)) return clusterTransaction(client, send);
  let queued: Promise<unknown>[] = [];
  const exec = inOneWrite(client, () => {
    const multi = client.multi({ pipeline: false });
    try {
      queued = [multi, ...send(client)];
    } catch (error) {
      // What was queued is dropped, and the connection leaves the transaction: without DISCARD
      // the next caller's commands (anyone's: the connection is shared) would be queued into it.
      void client.discard().catch(() => undefined);
      throw error;
    }
    return client.exec();
  });
  const settled = Promise.allSettled(queued);
  try {
    return ((await exec) ?? []) as TransactionReplies;
  } catch (error) {
    throw await refusal(settled, error);
  }
}

/**
 * Why Redis did not run a transaction whose EXEC failed with `error`: each command was answered
 * QUEUED or with the error that made EXEC fail (EXECABORT), and that one says why.
 */
async function refusal(settled: Promise<PromiseSettledResult<unknown>[]>, error: unknown): Promise<unknown> {
  const refused = (await settled).find((result): result is PromiseRejectedResult => result.status === 'rejected');
  return refused?.reason ?? error;
}

/**
 * {@link transaction} on a cluster connection. MULTI has no key, so sent on its own it would go to
 * any master: the commands are gathered first, then MULTI, they and EXEC go to the master of the
 * first key's slot (every key of a transaction carries one hash tag), on its connection in one
 * write, as on one Redis. That is what an ioredis `multi()` pipeline does, without its
 * constructor, which copies every script defined on the connection (BullMQ's ~60) into itself.
 *
 * When that master no longer serves the slot (it moved: MOVED, ASK) or the cluster cannot answer
 * for it now (TRYAGAIN, CLUSTERDOWN), Redis refused the transaction whole, and it is sent again as
 * an ioredis multi pipeline, which follows the redirection (and has ioredis re-read the slots).
 * `send` is then called a second time.
 */
async function clusterTransaction(cluster: Redis, send: (client: Redis) => Promise<unknown>[]): Promise<TransactionReplies> {
  // Not ready, the slots are unknown: the pipeline waits for them.
  if (cluster.status !== 'ready') return pipelineTransaction(cluster, send);
  // A client that keeps what is sent with it; what it gathers but never sends (below) never settles.
  const gathered: Command[] = [];
  const gatherer: Redis = Object.create(cluster);
  gatherer.sendCommand = (command: Command) => (gathered.push(command), command.promise);
  const multi = gatherer.multi({ pipeline: false }) as unknown as Promise<unknown>;
  const queued = send(gatherer);
  const exec = gatherer.exec();
  const keyed = gathered.find((command) => command.getKeys().length > 0);
  // No key, no slot: a pipeline sends it to any master.
  if (!keyed) return pipelineTransaction(cluster, send);
  // One destination for every command, set by the first one sent: none is redirected on its own.
  const destination = { slot: keyed.getSlot() };
  const sendTo = cluster.sendCommand as (command: Command, stream: undefined, node: { slot: number }) => unknown;
  inOneWrite(cluster, () => {
    for (const command of gathered) sendTo.call(cluster, command, undefined, destination);
  });
  const settled = Promise.allSettled([multi, ...queued]);
  try {
    return ((await exec) ?? []) as TransactionReplies;
  } catch (error) {
    const reason = await refusal(settled, error);
    if (!isRedirection(reason)) throw reason;
    return pipelineTransaction(cluster, send);
  }
}

/** Whether Redis refused a command because its slot is served elsewhere or not at all now: nothing of the transaction ran. */
function isRedirection(error: unknown): boolean {
  return error instanceof Error && /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.test(error.message);
}

/**
 * {@link transaction} as an ioredis multi pipeline on cluster connection `cluster`: sent to the
 * slot's master once the cluster is ready, following redirections. Its replies are transformed like
 * plain ones (HGETALL answers an object; {@link hashReply} takes either).
 */
async function pipelineTransaction(cluster: Redis, send: (client: Redis) => Promise<unknown>[]): Promise<TransactionReplies> {
  const multi = cluster.multi();
  // The pipeline answers each command with itself (not a promise); its replies come from exec().
  void send(multi as unknown as Redis);
  const replies = await multi.exec();
  return (replies ?? []) as TransactionReplies;
}

/**
 * A hash as Redis itself answers HGETALL, a flat list of fields and values: inside a transaction
 * (see {@link transaction}) or from a script, where ioredis does not make it an object.
 */
export function hashReply(reply: unknown): Record<string, string> {
  // A cluster transaction sent again as an ioredis pipeline answers HGETALL as an object (see pipelineTransaction).
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply)) return reply as Record<string, string>;
  const flat = reply as string[];
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
  return hash;
}

/** Fails with the first error among a transaction's replies (see {@link transaction}); answers the replies. */
export function repliesOrThrow(replies: TransactionReplies): unknown[] {
  for (const [error] of replies) if (error) throw error;
  return replies.map(([, reply]) => reply);
}
