import { AgentDefinitionError, AgentUnavailableError, NoCapableAgentError } from '../errors/errors';
import { AgentDescriptor, RunnableAgent } from './agent-contract';
import { LocalAgentPool } from './local-agent-pool';
import { PermissionPolicy } from './permission-policy';

const policy: PermissionPolicy = { privileged: new Set(['database_operations']), guestCapabilities: new Set(['web_research']) };

const hosted = (id: string, extra: Partial<AgentDescriptor> = {}): RunnableAgent => ({
  descriptor: {
    id,
    name: id,
    type: 'coder',
    capabilities: ['code_generation'],
    concurrency: 1,
    priority: 0,
    kind: 'specialised',
    permission: 'full',
    ...extra,
  },
  run: async () => id,
});

const pool = (agents: RunnableAgent[], onLoad?: (id: string, delta: number) => void) => new LocalAgentPool(agents, { policy: () => policy, onLoad });

describe('LocalAgentPool', () => {
  it('refuses to host an agent whose kind or permission forbids a capability it declares', () => {
    expect(() => pool([hosted('dba', { permission: 'limited', capabilities: ['database_operations'] })])).toThrow(
      new AgentDefinitionError('Agent "dba" cannot be hosted: a limited agent may not take privileged capabilities: database_operations'),
    );
    expect(() => pool([hosted('visitor', { kind: 'guest', capabilities: ['web_research', 'code_generation'] })])).toThrow(
      'a guest agent may not take code_generation (not on the guest allow-list)',
    );
    expect(() => pool([hosted('a', { capabilities: ['Not A Name'] })])).toThrow('malformed capability "Not A Name"');
    expect(pool([hosted('custom', { capabilities: ['translation'] })]).capabilities()).toEqual(['translation']);
  });

  it("chooses a remote agent's stand-in by the same rule, but leaves it out of this worker's own agents and heartbeats", () => {
    const agents = pool([hosted('a')]);
    agents.addRemote(hosted('remote-1', { capabilities: ['translation', 'code_generation'], priority: 5, concurrency: 2 }));
    expect(agents.capabilities()).toEqual(['code_generation', 'translation']);
    expect(agents.concurrencyFor('code_generation')).toBe(3);
    expect(agents.acquire('t1', { capabilities: ['code_generation'] }).agent.descriptor.id).toBe('remote-1');
    expect(agents.agents.map((a) => a.descriptor.id)).toEqual(['a']);
    expect(agents.snapshot().map((s) => s.agent.id)).toEqual(['a']);
    expect(agents.remotes()).toEqual([{ id: 'remote-1', status: 'active' }]);
    expect(() => agents.addRemote(hosted('a'))).toThrow('Two agents share the id "a"');
    agents.setStatus('remote-1', 'offline');
    expect(agents.takes('translation')).toBe(false);
  });

  it('counts load as leases are taken and given back, once each', () => {
    const changes: [string, number][] = [];
    const agents = pool([hosted('a', { concurrency: 2 }), hosted('b', { concurrency: 2 })], (id, delta) => changes.push([id, delta]));
    const first = agents.acquire('t1', { capabilities: ['code_generation'] });
    const second = agents.acquire('t2', { capabilities: ['code_generation'] });
    expect([first.agent.descriptor.id, second.agent.descriptor.id]).toEqual(['a', 'b']);
    first.release();
    first.release();
    expect(changes).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', -1],
    ]);
    expect(agents.snapshot().map((s) => s.load)).toEqual([0, 1]);
  });

  it('takes nothing new on an agent marked draining or offline, and says so', () => {
    const agents = pool([hosted('a'), hosted('b', { capabilities: ['testing'] })]);
    expect(agents.setStatus('a', 'offline')).toBe(true);
    expect(agents.takes('code_generation')).toBe(false);
    expect(agents.takes('testing')).toBe(true);
    expect(() => agents.acquire('t', { capabilities: ['code_generation'] })).toThrow(AgentUnavailableError);
    expect(() => agents.acquire('t', { capabilities: ['code_review'] })).toThrow(NoCapableAgentError);
  });

  it('still runs a job when every capable agent is at capacity (the queue shares their concurrency)', () => {
    const agents = pool([hosted('a', { priority: 1 }), hosted('b')]);
    agents.acquire('t1', { capabilities: ['code_generation'] });
    agents.acquire('t2', { capabilities: ['code_generation'] });
    expect(agents.acquire('t3', { capabilities: ['code_generation'] }).agent.descriptor.id).toBe('a');
  });
});
