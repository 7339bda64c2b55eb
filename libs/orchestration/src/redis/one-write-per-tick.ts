import type { Redis } from 'ioredis';

const corked = new WeakSet<object>();

/**
 * Holds back what `client` writes to its socket until the current tick ends, so the commands that
 * concurrent callers send in one tick (say, every transaction whose previous reply came in the
 * same packet) leave in one write instead of one system call each. Order and replies are
 * unchanged; only the socket writes are gathered. A client that is not connected is left alone
 * (its commands wait in ioredis' offline queue anyway).
 */
export function oneWritePerTick(client: Redis): void {
  const stream = client.stream;
  if (client.status !== 'ready' || !stream || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  process.nextTick(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
