import type { CapabilityCatalog } from '../agents/capability-catalog.service';
import type { LocalAgentPool } from '../agents/local-agent-pool';
import type { SwitchyardConfig } from '../config/switchyard-config';
import { strict } from '../testing/strict-fake';
import { AgentPresence } from './agent-presence.service';
import type { AgentRegistry } from './agent-registry.service';

const agent = { id: 'w1-data', name: 'data', type: 'data', kind: 'tool', permission: 'standard', capabilities: ['data_analysis'], priority: 0, concurrency: 4 };

/** A presence whose one agent has `status`, with a registry that takes heartbeats and revokes `revoked`. */
function presence(status: 'active' | 'offline', revoked: string[] = []) {
  const pool = strict<LocalAgentPool>('pool', {
    capabilities: () => ['data_analysis'],
    checkPermissions: () => undefined,
    snapshot: () => [{ agent, status, load: 0 }],
    setStatus: () => false,
    agents: [{ descriptor: agent }],
  });
  const catalog = strict<CapabilityCatalog>('catalog', { refresh: async () => undefined, get: () => ({ name: 'data_analysis' }) });
  const registry = strict<AgentRegistry>('registry', { heartbeat: async () => revoked, purge: async () => undefined, remove: async () => undefined });
  const config = strict<SwitchyardConfig>('config', { heartbeatMs: 60_000, agentTtlMs: 15_000 });
  return new AgentPresence(registry, catalog, pool, config);
}

describe('AgentPresence.registration', () => {
  it('is not registered before the first heartbeat reached the registry', () => {
    expect(presence('active').registration()).toEqual({ registered: false, reason: 'no heartbeat has reached the registry yet' });
  });

  it('is registered after a heartbeat, until the agents’ time to live has passed since the last one', async () => {
    const subject = presence('active');
    await subject.start(() => undefined);
    try {
      const now = Date.now();
      expect(subject.registration(now)).toEqual({ registered: true, agents: 1 });
      expect(subject.registration(now + 20_000)).toEqual({
        registered: false,
        reason: expect.stringMatching(/^the last heartbeat reached the registry \d+ ms ago \(agents expire after 15000 ms\)$/),
      });
    } finally {
      await subject.stop();
    }
  });

  it('is not registered when every agent of the worker was unregistered', async () => {
    const subject = presence('offline');
    await subject.start(() => undefined);
    try {
      expect(subject.registration()).toEqual({ registered: false, reason: 'every agent of this worker was unregistered' });
    } finally {
      await subject.stop();
    }
  });
});
