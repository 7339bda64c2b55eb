import { randomBytes } from 'node:crypto';
import { LocalAgentPool } from '@switchyard/orchestration/agents/local-agent-pool';
import { AgentPresence } from '@switchyard/orchestration/registry/agent-presence.service';
import {
  AgentRegistry,
  CapabilityCatalog,
  RedisConnections,
  registryKeys,
  StoredAgent,
  SwitchyardConfig,
  toSwitchyardConfig,
  validateEnvironment,
} from '@switchyard/orchestration';
import { REDIS_URL } from './support/stack';

/** The registry's Redis scripts and a worker's presence against the real Redis, without the apps around them. */
describe('AgentRegistry on Redis', () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const config: SwitchyardConfig = toSwitchyardConfig(
    validateEnvironment({ REDIS_URL, SWITCHYARD_PREFIX: prefix, SWITCHYARD_HEARTBEAT_MS: '100', SWITCHYARD_AGENT_TTL_MS: '1500' }),
  );
  let redis: RedisConnections;
  let registry: AgentRegistry;

  const agent = (id: string): StoredAgent => ({
    id,
    name: id,
    type: 'coder',
    kind: 'specialised',
    permission: 'full',
    capabilities: ['code_generation'],
    priority: 0,
    maxLoad: 2,
    worker: { host: 'h', pid: 1 },
    source: 'worker',
    registeredAt: '2026-11-25T12:00:00.000Z',
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    redis = new RedisConnections(config);
    await redis.onModuleInit();
    registry = new AgentRegistry(redis, config);
  });

  afterAll(async () => {
    const keys = await redis.client.keys(`{${prefix}}*`);
    if (keys.length > 0) await redis.client.del(...keys);
    await redis.onApplicationShutdown();
  });

  it('registers by heartbeat, goes offline when heartbeats stop, and is forgotten by a purge', async () => {
    expect(
      await registry.heartbeat([
        { agent: agent('a'), load: 1, draining: false },
        { agent: agent('b'), load: 0, draining: true },
      ]),
    ).toEqual([]);
    expect((await registry.list()).map((r) => [r.id, r.status, r.currentLoad])).toEqual([
      ['a', 'active', 1],
      ['b', 'draining', 0],
    ]);
    await sleep(1700);
    expect((await registry.list()).map((r) => r.status)).toEqual(['offline', 'offline']);
    expect(await registry.purge(60_000)).toBe(0);
    expect(await registry.purge(100)).toBe(2);
    expect(await registry.list()).toEqual([]);
  });

  it("counts load changes together, and a heartbeat's own count wins over those not yet sent", async () => {
    await registry.heartbeat([{ agent: agent('c'), load: 0, draining: false }]);
    registry.countLoad('c', 1);
    registry.countLoad('c', 1);
    registry.countLoad('c', -1);
    await sleep(150);
    expect((await registry.get('c'))?.currentLoad).toBe(1);
    registry.countLoad('c', 1);
    // The heartbeat carries the worker's count (2), which already includes the unsent +1.
    await registry.heartbeat([{ agent: agent('c'), load: 2, draining: false }]);
    await sleep(150);
    expect((await registry.get('c'))?.currentLoad).toBe(2);
    await registry.remove(['c']);
  });

  it('keeps an unregistered agent out while the process that hosted it heartbeats, until it removes it', async () => {
    await registry.heartbeat([{ agent: agent('d'), load: 0, draining: false }]);
    expect(await registry.unregister('d')).toBe(true);
    expect(await registry.unregister('d')).toBe(false);
    expect(await registry.heartbeat([{ agent: agent('d'), load: 0, draining: false }])).toEqual(['d']);
    expect(await registry.get('d')).toBeUndefined();
    // A new process reusing the id (a restarted worker with a fixed agent id) registers again.
    const restarted = { ...agent('d'), registeredAt: '2026-11-25T13:00:00.000Z' };
    expect(await registry.heartbeat([{ agent: restarted, load: 0, draining: false }])).toEqual([]);
    expect((await registry.get('d'))?.registeredAt).toBe(restarted.registeredAt);
    await registry.remove(['d']);
    expect(await redis.client.hexists(registryKeys.revoked(prefix), 'd')).toBe(0);
  });

  it('refuses a REST registration over a live agent of the same id, and takes it over a dead one', async () => {
    const api: StoredAgent = { ...agent('e'), source: 'api', worker: null };
    expect(await registry.register(api)).toBe(true);
    expect(await registry.register(api)).toBe(false);
    expect(await registry.touch('e', 3)).toBe(true);
    expect((await registry.get('e'))?.currentLoad).toBe(3);
    expect(await registry.touch('nobody')).toBe(false);
    await sleep(1700);
    expect(await registry.register(api)).toBe(true);
    expect((await registry.get('e'))?.currentLoad).toBe(0);
  });
});

describe('AgentPresence on Redis', () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const config: SwitchyardConfig = toSwitchyardConfig(
    validateEnvironment({ REDIS_URL, SWITCHYARD_PREFIX: prefix, SWITCHYARD_HEARTBEAT_MS: '100', SWITCHYARD_AGENT_TTL_MS: '1500' }),
  );
  let redis: RedisConnections;

  beforeAll(async () => {
    redis = new RedisConnections(config);
    await redis.onModuleInit();
  });

  afterAll(async () => {
    const keys = await redis.client.keys(`{${prefix}}*`);
    if (keys.length > 0) await redis.client.del(...keys);
    await redis.onApplicationShutdown();
  });

  it("adds a hosted agent's custom capability to the catalog, drains, heeds an unregistration and removes its agents", async () => {
    const registry = new AgentRegistry(redis, config);
    const catalog = new CapabilityCatalog(redis, config);
    const run = async () => null;
    const pool = new LocalAgentPool(
      [
        {
          descriptor: {
            id: 'tr',
            name: 'tr',
            type: 'translator',
            capabilities: ['translation'],
            concurrency: 1,
            priority: 0,
            kind: 'specialised',
            permission: 'full',
          },
          run,
        },
        {
          descriptor: {
            id: 'rs',
            name: 'rs',
            type: 'researcher',
            capabilities: ['web_research'],
            concurrency: 1,
            priority: 0,
            kind: 'specialised',
            permission: 'full',
          },
          run,
        },
      ],
      { policy: () => catalog.policy() },
    );
    const presence = new AgentPresence(registry, catalog, pool, config);
    let changes = 0;
    await presence.start(() => changes++);
    try {
      const other = new CapabilityCatalog(redis, config);
      await other.refresh();
      expect(other.get('translation')).toMatchObject({ category: 'custom', description: 'Offered by translator', custom: true, privileged: false });
      expect((await registry.list()).map((a) => [a.id, a.status])).toEqual([
        ['rs', 'active'],
        ['tr', 'active'],
      ]);

      await registry.unregister('tr');
      for (let i = 0; i < 50 && changes === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(changes).toBe(1);
      expect(pool.takes('translation')).toBe(false);
      expect(pool.takes('web_research')).toBe(true);
      expect((await registry.list()).map((a) => a.id)).toEqual(['rs']);

      await presence.drain();
      expect((await registry.list()).map((a) => a.status)).toEqual(['draining']);
    } finally {
      await presence.stop();
    }
    expect(await registry.list()).toEqual([]);
    expect(await redis.client.hlen(registryKeys.revoked(prefix))).toBe(0);
  });
});
