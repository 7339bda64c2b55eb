import type { CapabilityCatalog } from '../agents/capability-catalog.service';
import type { TaskQueues } from '../queues/task-queues.service';
import type { RedisConnections } from '../redis/redis-connections.service';
import type { ShardRouter } from '../redis/shards';
import type { AgentRecord } from '../registry/agent-record';
import type { AgentRegistry } from '../registry/agent-registry.service';
import { ClusterHealth } from './cluster-health.service';

const agent = (id: string, capabilities: string[], extra: Partial<AgentRecord> = {}): AgentRecord => ({
  id,
  name: id,
  type: id,
  kind: 'specialised',
  permission: 'full',
  capabilities,
  priority: 0,
  maxLoad: 1,
  currentLoad: 0,
  status: 'active',
  worker: { host: 'h', pid: 1 },
  source: 'worker',
  registeredAt: '2026-12-01T00:00:00.000Z',
  lastHeartbeat: '2026-12-01T00:00:00.000Z',
  ...extra,
});

type Counts = Record<string, number>;

/**
 * ClusterHealth over a registry of `agents`, a catalog of `names`, two shards, and queues whose
 * job counts are `counts[tag][queue]` (none: all zero). Nothing else may be called.
 */
function build(agents: AgentRecord[], names: string[], counts: Record<string, Record<string, Counts>> = {}) {
  const counted: string[] = [];
  const registry = { list: async () => agents } as unknown as AgentRegistry;
  const catalog = {
    refresh: async () => undefined,
    names: () => new Set(names),
    policy: () => ({ privileged: new Set<string>(), guestCapabilities: new Set<string>() }),
  } as unknown as CapabilityCatalog;
  const shards = { tags: ['{p-0}', '{p-1}'] } as unknown as ShardRouter;
  const queues = {
    queue: (tag: string, queue: string) => ({
      getJobCounts: async (...types: string[]) => {
        counted.push(`${tag}/${queue}`);
        return Object.fromEntries(types.map((t) => [t, counts[tag]?.[queue]?.[t] ?? 0]));
      },
    }),
  } as unknown as TaskQueues;
  return { health: new ClusterHealth({} as RedisConnections, shards, queues, catalog, registry), counted };
}

describe('ClusterHealth.capabilitiesWithoutLiveAgent', () => {
  it('is empty when live agents serve the planner and every capability with work', async () => {
    const { health } = build([agent('planner', ['task_decomposition']), agent('coder', ['code_generation'])], ['task_decomposition', 'code_generation']);
    expect(await health.capabilitiesWithoutLiveAgent()).toEqual([]);
  });

  it('lists task_decomposition without a planner, and an uncovered capability once work waits for it in any shard, in any waiting state', async () => {
    const names = ['task_decomposition', 'code_review', 'testing', 'translation', 'web_research'];
    const { health, counted } = build([agent('researcher', ['web_research'])], names, {
      '{p-0}': { testing: { delayed: 1 } },
      '{p-1}': { code_review: { 'waiting-children': 2 }, translation: { prioritized: 1 }, web_research: { wait: 5 } },
    });
    expect(await health.capabilitiesWithoutLiveAgent()).toEqual(['code_review', 'task_decomposition', 'testing', 'translation']);
    // Only the queues of uncovered capabilities are counted, and the planner's need not be.
    expect(counted.filter((q) => q.includes('web_research') || q.includes('task_decomposition'))).toEqual([]);
  });

  it('counts active agents registered over REST (they pull their tasks), not agents that are not active', async () => {
    const agents = [agent('translator-1', ['translation'], { source: 'api', worker: null }), agent('planner', ['task_decomposition'], { status: 'offline' })];
    const { health } = build(agents, ['task_decomposition', 'translation'], { '{p-0}': { translation: { wait: 1 } } });
    expect(await health.capabilitiesWithoutLiveAgent()).toEqual(['task_decomposition']);
  });
});
