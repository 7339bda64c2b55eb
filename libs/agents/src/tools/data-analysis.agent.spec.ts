import { ValidationFailedError } from '@switchyard/orchestration';
import { taskContext, taskRun } from '../testing/task-fixtures';
import { DataAnalysisAgent } from './data-analysis.agent';
import { DataFormatError } from './tool-errors';

describe('DataAnalysisAgent', () => {
  const agent = new DataAnalysisAgent();
  const run = (input: unknown, dependencies: Record<string, unknown> = {}) =>
    agent.run(taskRun(input, { capabilities: ['data_analysis'], dependencies }), taskContext());

  it('describes CSV text', async () => {
    const csv = 'queue,p99_ms\r\nmail,120\r\n"search, eu",80\r\nmail,100\r\n';
    const output = await run({ data: csv, percentiles: [50] });
    expect(output).toEqual({
      source: 'input.data',
      rows: 3,
      columns: {
        queue: {
          type: 'text',
          count: 3,
          missing: 0,
          distinct: 2,
          values: [
            { value: 'mail', count: 2 },
            { value: 'search, eu', count: 1 },
          ],
        },
        p99_ms: { type: 'number', count: 3, missing: 0, min: 80, max: 120, sum: 300, mean: 100, median: 100, stddev: 20, percentiles: { p50: 100 } },
      },
    });
  });

  it('describes a JSON array of objects, of numbers, and JSON text', async () => {
    expect((await run({ data: [{ a: 1 }, { a: 3 }] })).columns.a).toMatchObject({ mean: 2, median: 2 });
    expect(await run({ data: [1, 2, 3, 4] })).toMatchObject({ rows: 4, columns: { value: { min: 1, max: 4, median: 2.5 } } });
    expect(await run({ data: ' [{"x": "a"}, {"x": "a"}]' })).toMatchObject({ rows: 2, columns: { x: { type: 'text', distinct: 1 } } });
    expect(await run({ data: 'x;y\n1;2', delimiter: ';' })).toMatchObject({ columns: { x: { type: 'number' }, y: { type: 'number' } } });
  });

  it("takes the data from a dependency: an HTTP body, a file's content, or the result itself", async () => {
    const dependencies = {
      fetch: { status: 200, bodyType: 'json', body: [{ n: 1 }, { n: 5 }] },
      read: { operation: 'read', content: 'n\n2\n4\n' },
      plain: [10, 20],
    };
    expect(await run({ from: 'fetch' }, dependencies)).toMatchObject({ source: 'dependency fetch', rows: 2, columns: { n: { mean: 3 } } });
    expect(await run({ from: 'read' }, dependencies)).toMatchObject({ source: 'dependency read', columns: { n: { mean: 3 } } });
    expect(await run({ from: 'plain' }, dependencies)).toMatchObject({ columns: { value: { sum: 30 } } });
    await expect(run({ from: 'nope' }, dependencies)).rejects.toThrow(
      'input.from: "nope" is not a dependency of this task with a result (it has fetch, read, plain)',
    );
  });

  it("without data, describes its dependencies' results, one row each (planner-made tasks have no data)", async () => {
    const output = await run({ goal: 'Analyse the metrics', instruction: 'Compute' }, { research: { capability: 'web_research', text: 'found' }, count: 7 });
    expect(output).toMatchObject({
      source: 'dependencies',
      rows: 2,
      columns: { task: { type: 'text', distinct: 2 }, capability: { count: 1 }, value: { type: 'number', sum: 7 } },
    });
    expect(await run({})).toEqual({ source: 'dependencies', rows: 0, columns: {} });
  });

  it('describes a dependency by its id, size and plain fields, never copying its nested values or long text', async () => {
    const result = { status: 200, ok: true, note: 'n'.repeat(5000), body: [{ secret: 'nested' }] };
    const output = await run({}, { fetch: result });
    expect(Object.keys(output.columns)).toEqual(['status', 'ok', 'note', 'task', 'bytes']);
    expect(output.columns.bytes).toMatchObject({ type: 'number', sum: Buffer.byteLength(JSON.stringify(result)) });
    expect(output.columns.note).toMatchObject({ values: [{ value: `${'n'.repeat(197)}...`, count: 1 }] });
    expect(JSON.stringify(output)).not.toContain('secret');
  });

  it('keeps a chain of analyses the same size at each step', async () => {
    let previous: unknown = await run({ data: 'queue,ms\nmail,100\nsearch,80\n' });
    const sizes: number[] = [];
    for (let step = 2; step <= 12; step++) {
      previous = await run({}, { [`step-${step - 1}`]: previous });
      sizes.push(JSON.stringify(previous).length);
    }
    expect(Math.max(...sizes)).toBeLessThan(1.1 * Math.min(...sizes));
  });

  it.each([
    [{ data: 'a,b\n1,2,3\n' }, 'CSV line 2: has 3 fields, the header has 2'],
    [{ data: 'a\n"unterminated\n' }, 'CSV line 2: a quoted field is never closed'],
    [{ data: '[1, 2', format: 'json' }, 'input.data: is not valid JSON'],
    [{ data: '{"a": 1}', format: 'json' }, 'input.data: is JSON but not an array'],
    [{ data: [{ a: 1 }, 'x'] }, 'input.data[1]: is string; rows must be all objects or all numbers'],
    [{ data: [1, { a: 1 }] }, 'input.data[0]: is a mix of objects and numbers; rows must be all objects or all numbers'],
    [{ data: [null] }, 'input.data[0]: is null; rows must be all objects or all numbers'],
  ])('refuses malformed data %j', async (input, message) => {
    const attempt = run(input);
    await expect(attempt).rejects.toBeInstanceOf(DataFormatError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('rejects malformed input naming the field', async () => {
    for (const [input, path] of [
      [{ data: 42 }, 'input.data'],
      [{ data: [], percentiles: [101] }, 'input.percentiles.0'],
      [{ data: 'a', delimiter: '"' }, 'input.delimiter'],
      [{ data: 'a', format: 'xml' }, 'input.format'],
    ] as const) {
      const attempt = run(input);
      await expect(attempt).rejects.toBeInstanceOf(ValidationFailedError);
      await expect(attempt).rejects.toMatchObject({ issues: [{ path }] });
    }
  });
});
