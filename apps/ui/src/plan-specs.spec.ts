import type { TaskSpec } from '@switchyard/client';
import { kindNote, specsById } from './plan-specs';

const spec = (fields: Partial<TaskSpec> & { id: string }): TaskSpec => ({ capabilities: [], ...fields }) as TaskSpec;

describe('plan specs for the graph', () => {
  it('finds every task of a plan by id, children included', () => {
    const child = spec({ id: 'c', capabilities: ['web_research'] });
    const specs = specsById([spec({ id: 'a', capabilities: ['web_research'], children: [child] }), spec({ id: 'b', kind: 'wait', durationMs: 10 })]);
    expect([...specs.keys()]).toEqual(['a', 'c', 'b']);
    expect(specs.get('c')).toBe(child);
    expect(specsById(undefined).size).toBe(0);
  });

  it("names a signal task's signal and a wait task's time, and nothing for a task that runs an agent", () => {
    expect(kindNote(spec({ id: 's', kind: 'signal', signal: 'approved' }))).toBe('signal “approved”');
    expect(kindNote(spec({ id: 'w', kind: 'wait', durationMs: 1500 }))).toBe('wait 1.5 s');
    expect(kindNote(spec({ id: 'u', kind: 'wait', until: '2030-01-01T10:00:00.000Z' }))).toMatch(/^until \S/);
    expect(kindNote(spec({ id: 't', capabilities: ['web_research'] }))).toBeUndefined();
    expect(kindNote(undefined)).toBeUndefined();
  });
});
