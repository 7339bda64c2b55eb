import { OwnRedisCluster } from './support/redis-cluster';
import { runOrderViolations } from './support/run-order';
import { Stack } from './support/stack';

/**
 * The main flows on a real 3-master Redis Cluster of the file's own (SWITCHYARD_REDIS_CLUSTER),
 * API and workers as real processes, sessions spread over 6 shards.
 */
describe('on a Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  let stack: Stack;

  beforeAll(async () => {
    cluster = await OwnRedisCluster.start(3);
    stack = await Stack.start({ workers: 2, cluster, env: { SWITCHYARD_SHARDS: '6' } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await cluster?.destroy();
  });

  it('runs a diamond with children to its result', async () => {
    const plan = {
      tasks: [
        { id: 'top', capabilities: ['web_research'] },
        { id: 'left', capabilities: ['code_generation'], dependsOn: ['top'], children: [{ id: 'inner', capabilities: ['workflow_design'] }] },
        { id: 'right', capabilities: ['data_analysis'], dependsOn: ['top'] },
        { id: 'bottom', capabilities: ['code_review'], dependsOn: ['left', 'right'] },
      ],
    };
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    expect(runOrderViolations(session)).toEqual([]);
  });
});
