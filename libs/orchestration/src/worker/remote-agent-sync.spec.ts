import { Logger } from '@nestjs/common';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { SwitchyardConfig } from '../config/switchyard-config';
import { AgentRecord } from '../registry/agent-record';
import { AgentRegistry } from '../registry/agent-registry.service';
import { RemoteTaskBroker } from '../remote/remote-task-broker';
import { strict } from '../testing/strict-fake';
import { RemoteAgentSync } from './remote-agent-sync.service';
import { WorkerHost } from './worker-host.service';

const record = (id: string, extra: Partial<AgentRecord> = {}): AgentRecord => ({
  id,
  name: id,
  type: 'translator',
  kind: 'specialised',
  permission: 'limited',
  capabilities: ['translation'],
  priority: 0,
  maxLoad: 2,
  worker: null,
  source: 'api',
  registeredAt: '2026-11-25T12:00:00.000Z',
  tenant: 'acme',
  status: 'active',
  currentLoad: 0,
  lastHeartbeat: '2026-11-25T12:00:01.000Z',
  ...extra,
});

const hostedCoder = {
  descriptor: {
    id: 'coder',
    name: 'coder',
    type: 'coder',
    capabilities: ['code_generation'],
    concurrency: 1,
    priority: 0,
    kind: 'specialised',
    permission: 'full',
  },
  run: async () => null,
} as const;

function sync(records: () => AgentRecord[]) {
  const pool = new LocalAgentPool([hostedCoder], { policy: () => ({ privileged: new Set(), guestCapabilities: new Set() }) });
  const consumed: string[] = [];
  let paused = 0;
  const host = strict<WorkerHost>('host', { consume: (capability: string) => consumed.push(capability), pauseUntaken: () => paused++ });
  const registry = strict<AgentRegistry>('registry', { list: async () => records() });
  const service = new RemoteAgentSync(registry, pool, host, strict<RemoteTaskBroker>('broker', {}), { heartbeatMs: 1000 } as SwitchyardConfig);
  return { service, pool, consumed, paused: () => paused };
}

describe('RemoteAgentSync', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new Logger()));

  it("gives each active remote agent a stand-in and pulls its capabilities' queues; a worker's agents are not its business", async () => {
    const { service, pool, consumed, paused } = sync(() => [
      record('translator-1'),
      record('hosted', { source: 'worker' }),
      record('silent', { status: 'offline' }),
    ]);
    await service.sync();
    expect(pool.remotes()).toEqual([{ id: 'translator-1', status: 'active' }]);
    expect(consumed).toEqual(['translation']);
    await service.sync();
    expect(consumed).toEqual(['translation']);
    expect(paused()).toBe(0);
  });

  it('stops handing tasks to one that went silent or was unregistered, and takes it back when it returns', async () => {
    let records = [record('translator-1'), record('translator-2')];
    const { service, pool, consumed, paused } = sync(() => records);
    await service.sync();
    records = [record('translator-1', { status: 'offline' })];
    await service.sync();
    expect(pool.remotes()).toEqual([
      { id: 'translator-1', status: 'offline' },
      { id: 'translator-2', status: 'offline' },
    ]);
    expect(paused()).toBe(1);
    records = [record('translator-1')];
    await service.sync();
    expect(pool.remotes()[0]).toEqual({ id: 'translator-1', status: 'active' });
    expect(consumed).toEqual(['translation', 'translation', 'translation']);
  });
});
