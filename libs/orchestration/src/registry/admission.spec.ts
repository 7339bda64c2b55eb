import { admissionBlock, uncoveredCapabilities } from './admission';
import { AgentRecord } from './agent-record';

const record = (id: string, extra: Partial<AgentRecord> = {}): AgentRecord => ({
  id,
  name: id,
  type: 'coder',
  kind: 'specialised',
  permission: 'full',
  capabilities: ['code_generation'],
  priority: 0,
  maxLoad: 1,
  currentLoad: 1,
  status: 'active',
  worker: { host: 'h', pid: 1 },
  source: 'worker',
  registeredAt: '2026-11-25T12:00:00.000Z',
  lastHeartbeat: '2026-11-25T12:00:00.000Z',
  ...extra,
});
const policy = { privileged: new Set(['file_operations']), guestCapabilities: new Set(['web_research']) };

describe('admissionBlock', () => {
  it('lets a task through when a live agent could take it, however busy', () => {
    expect(admissionBlock([record('a')], { capabilities: ['code_generation'] }, policy)).toBeUndefined();
  });

  it('names the capabilities no live agent offers', () => {
    const agents = [record('a'), record('b', { capabilities: ['testing'], status: 'offline' })];
    expect(admissionBlock(agents, { capabilities: ['code_generation', 'testing'] }, policy)).toBe('no live agent with capability testing');
    expect(admissionBlock([], { capabilities: ['x_y'] }, policy)).toBe('no live agent with capability x_y');
  });

  it('says when type or permission rules out the agents that have the capabilities', () => {
    expect(admissionBlock([record('a')], { capabilities: ['code_generation'], agentType: 'reviewer' }, policy)).toBe(
      'no live agent of type "reviewer" allowed to take code_generation',
    );
    const limited = record('l', { permission: 'limited', capabilities: ['file_operations'] });
    expect(admissionBlock([limited], { capabilities: ['file_operations'] }, policy)).toBe('no live agent allowed to take file_operations');
  });
});

describe('agents registered over REST', () => {
  const remote = record('translator-1', { capabilities: ['translation', 'code_generation'], source: 'api', worker: null, currentLoad: 0, priority: 9 });

  it('count as live agents while active: they pull their tasks over HTTP', () => {
    expect(admissionBlock([remote], { capabilities: ['translation'] }, policy)).toBeUndefined();
    expect(admissionBlock([{ ...remote, status: 'offline' }], { capabilities: ['translation'] }, policy)).toBe('no live agent with capability translation');
    expect(uncoveredCapabilities([remote, record('a')], ['translation', 'code_generation', 'testing'], policy)).toEqual(['testing']);
  });
});
