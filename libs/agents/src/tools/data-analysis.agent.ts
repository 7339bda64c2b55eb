import { TaskContext, TaskRun } from '@switchyard/orchestration';
import { z } from 'zod';
import { Agent } from '../sdk/agent.decorator';
import { excerpt, failIfAsked } from '../builtin/model-agent';
import { parseCsvRecords } from './csv-parser';
import { describeRows, DatasetStats } from './statistics';
import { DataFormatError, parseToolInput } from './tool-errors';

/**
 * What a data_analysis task takes. Other fields (a planner's `goal`, `instruction`) are ignored,
 * so the agent also serves plans drafted from a goal.
 */
export const dataAnalysisInput = z.object({
  /** The table: a JSON array (of objects, or of numbers), or text holding CSV or JSON. */
  data: z.union([z.array(z.unknown()), z.string()], { error: 'data must be an array or a string of CSV or JSON' }).optional(),
  /** The id of a dependency whose result is the data (its `body` or `content` when it has one). */
  from: z.string({ error: 'from must be a task id' }).optional(),
  /** How to read a string: `auto` takes text starting with `[` as JSON, anything else as CSV. */
  format: z.enum(['auto', 'json', 'csv'], { error: 'format must be auto, json or csv' }).default('auto'),
  delimiter: z
    .string()
    .length(1, 'delimiter must be one character')
    .refine((d) => d !== '"' && d !== '\n' && d !== '\r', 'delimiter cannot be a quote or a line break')
    .default(','),
  percentiles: z.array(z.number().min(0, 'percentiles are between 0 and 100').max(100, 'percentiles are between 0 and 100')).max(20).optional(),
  topValues: z.number().int().min(1).max(1000).optional(),
});
type DataAnalysisInput = z.infer<typeof dataAnalysisInput>;

export interface DataAnalysisOutput extends DatasetStats {
  /** Where the table came from: `input.data`, `dependency <id>`, or `dependencies` (one row per result). */
  readonly source: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The row that describes one dependency's result: its id (`task`), its size as JSON (`bytes`),
 * and its top-level fields that are numbers, booleans or text (text cut to 200 characters; a
 * result that is not an object is the field `value`). Nested objects and arrays are left out,
 * so a row never holds a result whole: in a chain of analyses each output describes the one
 * before it at the same size, where copying it made each output twice the size of the last.
 */
function dependencyRow(taskId: string, result: unknown): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(isRecord(result) ? result : { value: result })) {
    if (typeof value === 'number' || typeof value === 'boolean') row[key] = value;
    else if (typeof value === 'string') row[key] = excerpt(value);
  }
  return { ...row, task: taskId, bytes: Buffer.byteLength(JSON.stringify(result) ?? 'null') };
}

/** A JSON array as rows: all objects, or all numbers (one column `value`). */
function rowsOfArray(items: readonly unknown[], where: string): Record<string, unknown>[] {
  if (items.every(isRecord)) return [...items];
  if (items.every((v) => typeof v === 'number')) return items.map((value) => ({ value }));
  const bad = items.findIndex((v) => !isRecord(v) && typeof v !== 'number');
  const kind = items[bad] === null ? 'null' : Array.isArray(items[bad]) ? 'an array' : typeof items[bad];
  throw new DataFormatError(
    `${where}[${bad === -1 ? 0 : bad}]`,
    `is ${bad === -1 ? 'a mix of objects and numbers' : kind}; rows must be all objects or all numbers`,
  );
}

function rowsOf(data: unknown, input: DataAnalysisInput, where: string): Record<string, unknown>[] {
  if (Array.isArray(data)) return rowsOfArray(data, where);
  if (typeof data !== 'string') throw new DataFormatError(where, 'is neither an array nor CSV or JSON text');
  const json = input.format === 'json' || (input.format === 'auto' && /^\s*\[/.test(data));
  if (!json) return parseCsvRecords(data, input.delimiter);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    throw new DataFormatError(where, `is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new DataFormatError(where, 'is JSON but not an array');
  return rowsOfArray(parsed, where);
}

/**
 * A tool agent (no model): statistics over a table given as JSON or CSV. Without `data` or
 * `from`, it describes the results of the task's dependencies, one row per result (see
 * dependencyRow).
 */
@Agent({ type: 'data', name: 'data', capabilities: ['data_analysis'], concurrency: 4 })
export class DataAnalysisAgent {
  async run(task: TaskRun, context: TaskContext): Promise<DataAnalysisOutput> {
    failIfAsked(task);
    const input = parseToolInput(dataAnalysisInput, task.input, 'data_analysis');
    const { rows, source } = this.table(task, input);
    const stats = describeRows(rows, { percentiles: input.percentiles, topValues: input.topValues });
    context.log.info('data described', { source, rows: stats.rows, columns: Object.keys(stats.columns).length });
    return { source, ...stats };
  }

  private table(task: TaskRun, input: DataAnalysisInput): { rows: Record<string, unknown>[]; source: string } {
    if (input.data !== undefined) return { rows: rowsOf(input.data, input, 'input.data'), source: 'input.data' };
    if (input.from !== undefined) {
      if (!(input.from in task.dependencies)) {
        throw new DataFormatError(
          'input.from',
          `"${input.from}" is not a dependency of this task with a result (it has ${Object.keys(task.dependencies).join(', ') || 'none'})`,
        );
      }
      const result = task.dependencies[input.from];
      const data = isRecord(result) && 'body' in result ? result.body : isRecord(result) && 'content' in result ? result.content : result;
      return { rows: rowsOf(data, input, `the result of ${input.from}`), source: `dependency ${input.from}` };
    }
    const rows = Object.entries(task.dependencies).map(([taskId, result]) => dependencyRow(taskId, result));
    return { rows, source: 'dependencies' };
  }
}
