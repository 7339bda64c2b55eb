import type { CapabilityCatalog } from '../agents/capability-catalog.service';
import type { ClusterHealth } from '../health/cluster-health.service';
import type { TaskQueues } from '../queues/task-queues.service';
import type { RedisConnections } from '../redis/redis-connections.service';
import type { ShardMap, ShardMapView } from '../redis/shard-map.service';
import type { ShardRouter } from '../redis/shards';
import { ClusterMetrics, LiveAgentsSource, MetricsSnapshot } from './cluster-metrics.service';
import { counterField, histogramField, METRICS } from './metric-definitions';

const fail = (what: string) =>
  new Proxy(
    {},
    {
      get: (_, property) => {
        throw new Error(`unexpected use of ${what}.${String(property)}`);
      },
    },
  );

/** A snapshot where acme ran 2 data_analysis tasks and globex 1 web_research task, with a queue and a lock figure. */
function snapshot(): MetricsSnapshot {
  const values = new Map<string, number>();
  const run = (tenant: string, capability: string, count: number) => {
    values.set(counterField(METRICS.tasksStarted.name, { capability, tenant }), count);
    values.set(counterField(METRICS.tasksCompleted.name, { capability, tenant }), count);
    const labels = { capability, tenant, outcome: 'completed' };
    values.set(histogramField(METRICS.taskDuration.name, labels, '0.1'), count);
    values.set(histogramField(METRICS.taskDuration.name, labels, 'count'), count);
    values.set(histogramField(METRICS.taskDuration.name, labels, 'sum'), count * 0.05);
  };
  run('acme', 'data_analysis', 2);
  run('globex', 'web_research', 1);
  const tokens = (model: string, tenant: string, prompt: number, completion: number) => {
    values.set(counterField(METRICS.modelTokens.name, { model, kind: 'prompt', tenant }), prompt);
    values.set(counterField(METRICS.modelTokens.name, { model, kind: 'completion', tenant }), completion);
  };
  tokens('m-1', 'acme', 100, 20);
  tokens('m-1', 'globex', 10, 2);
  tokens('m-2', 'globex', 5, 1);
  values.set(counterField(METRICS.modelCost.name, { model: 'm-1', tenant: 'globex' }), 0.25);
  values.set(counterField(METRICS.lockFailures.name, { resource: 'session-state', reason: 'timeout' }), 1);
  return {
    at: '2026-12-06T12:00:00.000Z',
    values,
    queues: [{ queue: 'data_analysis', workers: 1, waiting: 3, delayed: 0, active: 1 }],
    liveAgents: { data_analysis: 1, web_research: 1 },
    backlog: [
      { capability: 'data_analysis', shard: 0, backlog: 3, oldestWaitingSeconds: 12.5 },
      { capability: 'data_analysis', shard: 1, backlog: 0, oldestWaitingSeconds: 0 },
    ],
  };
}

const shardMapView: ShardMapView = {
  mode: 'cluster',
  shards: [{ shard: 0, tag: '{sy-0}', slot: 6617, node: '10.0.0.2:7000' }],
  masters: ['10.0.0.1:7000', '10.0.0.2:7000'],
  idleMasters: ['10.0.0.1:7000'],
  readAt: '2026-12-06T12:00:00.000Z',
};

function metricsUnderTest(): ClusterMetrics {
  const agents: LiveAgentsSource = { description: 'test agents', perCapability: () => Promise.reject(new Error('not read: the snapshot is given')) };
  const shardMap = { current: () => Promise.resolve(shardMapView) } as ShardMap;
  const metrics = new ClusterMetrics(
    fail('redis') as RedisConnections,
    fail('shards') as ShardRouter,
    fail('cluster') as ClusterHealth,
    fail('catalog') as CapabilityCatalog,
    fail('queues') as TaskQueues,
    shardMap,
    agents,
  );
  jest.spyOn(metrics, 'snapshot').mockImplementation(() => Promise.resolve(snapshot()));
  return metrics;
}

describe('ClusterMetrics per tenant', () => {
  it('answers a tenant its own tasks and live agents, without queues, stalls and locks', async () => {
    const stats = await metricsUnderTest().stats({ tenant: 'globex' });
    expect(stats).toEqual({
      at: '2026-12-06T12:00:00.000Z',
      tenant: 'globex',
      tasks: expect.objectContaining({ started: 1, completed: 1, byCapability: { web_research: expect.objectContaining({ started: 1, completed: 1 }) } }),
      liveAgents: { source: 'test agents', byCapability: { data_analysis: 1, web_research: 1 } },
      usage: {
        promptTokens: 15,
        completionTokens: 3,
        totalTokens: 18,
        costUsd: 0.25,
        byModel: {
          'm-1': { promptTokens: 10, completionTokens: 2, totalTokens: 12, costUsd: 0.25 },
          'm-2': { promptTokens: 5, completionTokens: 1, totalTokens: 6, costUsd: 0 },
        },
        byTenant: { globex: { promptTokens: 15, completionTokens: 3, totalTokens: 18, costUsd: 0.25 } },
      },
    });
    expect(stats.tasks.durationSeconds?.count).toBe(1);
  });

  it("answers the deployment every tenant's tasks, summed per capability, and the shared figures", async () => {
    const stats = await metricsUnderTest().stats('deployment');
    expect(stats.tenant).toBeUndefined();
    expect(stats.tasks).toMatchObject({ started: 3, completed: 3 });
    expect(stats.queues).toHaveLength(1);
    expect(stats.locks?.failures).toEqual({ 'session-state': { timeout: 1 } });
    expect(stats.usage).toMatchObject({ totalTokens: 138, byTenant: { acme: { totalTokens: 120 }, globex: { totalTokens: 18 } } });
    expect(stats.shards).toEqual(shardMapView);
  });

  it("renders a tenant's Prometheus text with its own series only", async () => {
    const text = await metricsUnderTest().prometheus({ tenant: 'acme' });
    expect(text).toContain('switchyard_tasks_started_total{capability="data_analysis",tenant="acme"} 2');
    expect(text).toContain('switchyard_task_duration_seconds_count{capability="data_analysis",outcome="completed",tenant="acme"} 2');
    expect(text).toContain('switchyard_live_agents{capability="web_research"} 1');
    expect(text).toContain('switchyard_model_tokens_total{kind="prompt",model="m-1",tenant="acme"} 100');
    expect(text).not.toContain('globex');
    expect(text).not.toMatch(/^switchyard_(queue_|lock_|jobs_stalled|api_)/m);
    const all = await metricsUnderTest().prometheus('deployment');
    expect(all).toContain('tenant="globex"');
    expect(all).toContain('switchyard_queue_jobs{queue="data_analysis",state="waiting"} 3');
  });

  it('exports the backlog and the oldest waiting age per capability and shard to the deployment only', async () => {
    const all = await metricsUnderTest().prometheus('deployment');
    expect(all).toContain('switchyard_queue_backlog{capability="data_analysis",shard="0"} 3');
    expect(all).toContain('switchyard_queue_backlog{capability="data_analysis",shard="1"} 0');
    expect(all).toContain('switchyard_queue_oldest_waiting_seconds{capability="data_analysis",shard="0"} 12.5');
    expect(await metricsUnderTest().prometheus({ tenant: 'acme' })).not.toContain('switchyard_queue_backlog');
  });
});
