import type { Redis } from 'ioredis';
import { isCluster } from '../ioredis/cluster-connection';

/**
 * How many BullMQ Workers consume each queue, from one CLIENT LIST per master: what
 * `Queue.getWorkersCount()` answers, for every queue at once. BullMQ names a Worker's connection
 * `<prefix>:<base64 of the queue name>`, with `:w:<worker name>` after it for a named Worker;
 * `Queue.getWorkersCount()` instead asks for the whole client list once per queue (and on a
 * cluster once per queue and node), which with a hundred queues and as many worker connections
 * took seconds.
 */
export async function workersPerQueue(client: Redis, queues: readonly { prefix: string; name: string }[]): Promise<number[]> {
  const nodes = isCluster(client) ? (client as unknown as { nodes(role: 'master'): Redis[] }).nodes('master') : [client];
  const lists = await Promise.all(nodes.map((node) => node.client('LIST') as Promise<string>));
  // On a cluster a Worker's connection reaches every master: as BullMQ does, count on the node
  // that shows the queue the most Workers, not the sum.
  const perNode = lists.map((list) => {
    const counts = new Map<string, number>();
    for (const [, name] of list.matchAll(/ name=(\S+)/g)) {
      const at = name.indexOf(':w:');
      const base = at >= 0 ? name.slice(0, at) : name;
      counts.set(base, (counts.get(base) ?? 0) + 1);
    }
    return counts;
  });
  return queues.map(({ prefix, name }) => {
    const connection = `${prefix}:${Buffer.from(name).toString('base64')}`;
    return Math.max(0, ...perNode.map((counts) => counts.get(connection) ?? 0));
  });
}
