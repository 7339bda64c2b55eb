import { AgentDescriptor } from './agent-contract';
import { AgentCandidate, incompatibilities, selectAgent } from './agent-selection';

const agent = (id: string, extra: Partial<AgentDescriptor> = {}, load = 0, status: AgentCandidate['status'] = 'active'): AgentCandidate => ({
  descriptor: {
    id, name: id, type: 'coder', capabilities: ['code_generation', 'testing'], concurrency: 2, priority: 0,
    kind: 'specialised', permission: 'full', ...extra,
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
