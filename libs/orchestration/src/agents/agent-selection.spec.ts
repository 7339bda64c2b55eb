import { AgentDescriptor } from './agent-contract';
import { AgentCandidate, explainSelection, incompatibilities, selectAgent } from './agent-selection';
import { PermissionPolicy } from './permission-policy';

const policy: PermissionPolicy = {
  privileged: new Set(['database_operations', 'file_operations']),
  guestCapabilities: new Set(['web_research', 'code_generation']),
};

const agent = (id: string, extra: Partial<AgentDescriptor> = {}, load = 0, status: AgentCandidate['status'] = 'active'): AgentCandidate => ({
  descriptor: {
    id,
    name: id,
    type: 'coder',
    capabilities: ['code_generation', 'testing'],
    concurrency: 2,
    priority: 0,
    kind: 'specialised',
    permission: 'full',
    ...extra,
  },
  status,
  currentLoad: load,
});

describe('selectAgent', () => {
  const need = { capabilities: ['code_generation'] };

  it('filters by agent type when asked', () => {
    const pick = selectAgent([agent('a'), agent('b', { type: 'reviewer', capabilities: ['code_generation'] })], { ...need, agentType: 'reviewer' });
    expect(pick?.descriptor.id).toBe('b');
  });

  it('skips agents that are not active', () => {
    expect(selectAgent([agent('a', {}, 0, 'draining'), agent('b', {}, 0, 'offline')], need)).toBeUndefined();
  });

  it('skips agents at capacity', () => {
    expect(selectAgent([agent('a', {}, 2), agent('b', {}, 1)], need)?.descriptor.id).toBe('b');
  });

  it('requires every capability', () => {
    expect(selectAgent([agent('a')], { capabilities: ['code_generation', 'code_review'] })).toBeUndefined();
  });

  it('prefers higher priority, then lower load', () => {
    expect(selectAgent([agent('a', { priority: 1 }, 1), agent('b', { priority: 5 }, 1)], need)?.descriptor.id).toBe('b');
    expect(selectAgent([agent('a', {}, 1), agent('b', {}, 0)], need)?.descriptor.id).toBe('b');
    expect(selectAgent([agent('a'), agent('b')], need)?.descriptor.id).toBe('a');
  });

  it('puts priority before load: a busier agent of higher priority wins', () => {
    const pick = selectAgent([agent('idle', { priority: 1, concurrency: 9 }, 0), agent('busy', { priority: 2, concurrency: 9 }, 8)], need);
    expect(pick?.descriptor.id).toBe('busy');
  });

  it('orders among many by priority, then load, whatever their order', () => {
    const pool = [
      agent('p0-l0', { priority: 0, concurrency: 9 }, 0),
      agent('p3-l5', { priority: 3, concurrency: 9 }, 5),
      agent('p3-l2', { priority: 3, concurrency: 9 }, 2),
      agent('p3-full', { priority: 3, concurrency: 2 }, 2),
      agent('p9-draining', { priority: 9, concurrency: 9 }, 0, 'draining'),
    ];
    expect(selectAgent(pool, need)?.descriptor.id).toBe('p3-l2');
    expect(selectAgent([...pool].reverse(), need)?.descriptor.id).toBe('p3-l2');
  });

  it('takes any type when none is asked, and treats capabilities as a set', () => {
    expect(selectAgent([agent('r', { type: 'reviewer' })], { capabilities: ['testing', 'code_generation'] })?.descriptor.id).toBe('r');
    expect(selectAgent([], need)).toBeUndefined();
  });

  it('keeps limited and readonly agents off privileged capabilities', () => {
    const db = { capabilities: ['database_operations'] };
    const agents = [
      agent('limited', { permission: 'limited', capabilities: ['database_operations'], priority: 9 }),
      agent('readonly', { permission: 'readonly', capabilities: ['database_operations'], priority: 8 }),
      agent('full', { permission: 'full', capabilities: ['database_operations'] }),
    ];
    expect(selectAgent(agents, db, { policy })?.descriptor.id).toBe('full');
    expect(selectAgent(agents.slice(0, 2), db, { policy })).toBeUndefined();
    // A limited agent still takes what is not privileged.
    expect(selectAgent([agent('limited', { permission: 'limited' })], need, { policy })?.descriptor.id).toBe('limited');
  });

  it('keeps guest agents to the allow-list', () => {
    const guest = agent('guest', { kind: 'guest', capabilities: ['code_generation', 'testing'] });
    expect(selectAgent([guest], need, { policy })?.descriptor.id).toBe('guest');
    expect(selectAgent([guest], { capabilities: ['testing'] }, { policy })).toBeUndefined();
    // Without a policy, permissions are not checked.
    expect(selectAgent([guest], { capabilities: ['testing'] })?.descriptor.id).toBe('guest');
  });

  it('can ignore load, to ask whether any live agent could take a task at all', () => {
    expect(selectAgent([agent('a', {}, 2)], need, { ignoreLoad: true })?.descriptor.id).toBe('a');
    expect(selectAgent([agent('a', {}, 2, 'offline')], need, { ignoreLoad: true })).toBeUndefined();
  });
});

describe('incompatibilities', () => {
  it('gives every reason at once', () => {
    expect(incompatibilities(agent('a', {}, 2, 'draining'), { capabilities: ['code_review'], agentType: 'reviewer' })).toEqual([
      'agent type is "coder", the task asks for "reviewer"',
      'agent is draining',
      'agent is at capacity (2/2)',
      'agent lacks code_review',
    ]);
  });
});

describe('incompatibilities: permissions', () => {
  it('names each refusal of a limited guest agent', () => {
    const candidate = agent('g', { kind: 'guest', permission: 'limited', capabilities: ['file_operations', 'testing', 'web_research'] });
    expect(incompatibilities(candidate, { capabilities: ['file_operations', 'testing', 'web_research'] }, { policy })).toEqual([
      'a limited agent may not take privileged capabilities: file_operations',
      'a guest agent may not take file_operations, testing (not on the guest allow-list)',
    ]);
    expect(incompatibilities(candidate, { capabilities: ['web_research'] }, { policy })).toEqual([]);
  });
});

describe('explainSelection', () => {
  it('answers the chosen agent and a reason for every other one', () => {
    const { selected, rejected } = explainSelection(
      [
        agent('low', { priority: 0 }),
        agent('chosen', { priority: 5 }, 1),
        agent('busier', { priority: 5, concurrency: 3 }, 2),
        agent('twin', { priority: 5, concurrency: 3 }, 1),
        agent('off', {}, 0, 'offline'),
      ],
      { capabilities: ['code_generation'] },
    );
    expect(selected?.descriptor.id).toBe('chosen');
    expect(Object.fromEntries(rejected.map((r) => [r.candidate.descriptor.id, r.reasons]))).toEqual({
      low: ['lower priority (0) than chosen (5)'],
      busier: ['higher load (2) than chosen (1)'],
      twin: ['same priority and load as chosen, which comes first'],
      off: ['agent is offline'],
    });
  });

  it('rejects everyone with their reasons when nobody fits', () => {
    const { selected, rejected } = explainSelection([agent('a', {}, 2)], { capabilities: ['code_review'] });
    expect(selected).toBeUndefined();
    expect(rejected[0].reasons).toEqual(['agent is at capacity (2/2)', 'agent lacks code_review']);
  });
});
