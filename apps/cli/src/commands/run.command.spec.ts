import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../cli-failure';
import { requestOf } from './run.command';

describe('requestOf (the orchestrate body of run)', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'switchyard-run-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a goal, with the context file merged in', () => {
    expect(requestOf({ goal: 'Write a report', param: [], context: file('context.json', '{"audience":"ops"}') })).toEqual({
      goal: 'Write a report',
      context: { audience: 'ops' },
    });
  });

  it('reads a plan file holding the plan or a whole orchestrate body', () => {
    const plan = { tasks: [{ id: 'a', capabilities: ['web_research'] }] };
    expect(requestOf({ plan: file('plan.json', JSON.stringify(plan)), param: [] })).toEqual({ plan });
    expect(requestOf({ plan: file('body.json', JSON.stringify({ plan })), param: [] })).toEqual({ plan });
  });

  it('parses template params as JSON where they parse, else as text', () => {
    expect(requestOf({ template: 'research-report', param: ['topic=AOF and RDB', 'depth=3', 'tags=["a","b"]', 'note=a=b'] })).toEqual({
      template: { name: 'research-report', params: { topic: 'AOF and RDB', depth: 3, tags: ['a', 'b'], note: 'a=b' } },
    });
  });

  it('refuses, in one line naming the culprit, anything but exactly one source, stray params and bad files', () => {
    const refusal = (options: Parameters<typeof requestOf>[0]) => {
      try {
        requestOf(options);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error('it was accepted');
    };
    expect(refusal({ param: [] })).toBe('give exactly one of --goal TEXT, --plan FILE, --template NAME (got none)');
    expect(refusal({ goal: 'x', template: 't', param: [] })).toBe('give exactly one of --goal TEXT, --plan FILE, --template NAME (got --goal, --template)');
    expect(refusal({ goal: 'x', param: ['a=1'] })).toBe('--param goes with --template NAME');
    expect(refusal({ template: 't', param: ['novalue'] })).toBe('--param novalue is not of the form key=value');
    expect(refusal({ plan: join(dir, 'missing.json'), param: [] })).toBe(`cannot read the plan file ${join(dir, 'missing.json')}: ENOENT`);
    expect(refusal({ plan: file('broken.json', '{"tasks": ['), param: [] })).toMatch(/^the plan file \S+ is not JSON: /);
    expect(refusal({ goal: 'x', param: [], context: file('list.json', '[1]') })).toMatch(/^the context file \S+ must hold a JSON object$/);
  });
});
