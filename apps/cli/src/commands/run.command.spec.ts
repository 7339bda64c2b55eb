import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../cli-failure';
import { InvalidArgumentError } from 'commander';
import { budgetLine, budgetNumber, requestOf, usageLine } from './run.command';

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

describe('budgets of run', () => {
  it('sends the --budget-* options as budget, and only those given', () => {
    expect(requestOf({ goal: 'g', param: [], budgetTokens: 1000, budgetCostUsd: 0.5 })).toEqual({ goal: 'g', budget: { tokens: 1000, costUsd: 0.5 } });
    expect(requestOf({ goal: 'g', param: [], budgetTasks: 3, budgetWallMs: 60_000 })).toEqual({ goal: 'g', budget: { tasks: 3, wallMs: 60_000 } });
    expect(requestOf({ goal: 'g', param: [] })).toEqual({ goal: 'g' });
  });

  it('takes numbers above 0, whole ones except for a cost', () => {
    expect(budgetNumber()('1000')).toBe(1000);
    expect(budgetNumber(true)('0.25')).toBe(0.25);
    for (const text of ['0', '-5', '2.5', 'many', '', 'Infinity']) expect(() => budgetNumber()(text)).toThrow(InvalidArgumentError);
    expect(() => budgetNumber(true)('-0.1')).toThrow('a number above 0');
  });

  it('says in one line which limit a session reached, how much it used and what usage it had', () => {
    expect(budgetLine({ message: 'budget', code: 'budget_exceeded', limit: 'tokens', used: 1200, budget: { tokens: 1000, tasks: 5 } })).toBe(
      'Budget exceeded: tokens used 1200 of 1000 (--budget-tokens).',
    );
    expect(budgetLine({ message: 'budget', code: 'budget_exceeded', limit: 'wallMs', used: 1534, budget: { wallMs: 1500 } })).toBe(
      'Budget exceeded: wallMs used 1534 of 1500 (--budget-wall-ms).',
    );
    expect(budgetLine({ message: 'boom' })).toBeUndefined();
    expect(usageLine({ promptTokens: 90, completionTokens: 30, totalTokens: 120, calls: 1, costUsd: 0.0012 })).toBe(
      '120 tokens (90 prompt + 30 completion), 1 model call, $0.0012',
    );
  });
});
