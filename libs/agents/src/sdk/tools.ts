import type { TaskContext } from '@switchyard/orchestration';

/**
 * A tool a model-backed agent offers its model: the model asks for it by name with arguments
 * that should match `parameters` (a JSON Schema of an object); `handler` runs it and its answer
 * (text as is, anything else as JSON) goes back to the model. A handler that throws sends its
 * error message back instead, so the model can try again or do without.
 */
export interface AgentTool<A = Record<string, unknown>> {
  /** Letters, digits, `_` and `-`, at most 64: how the model names it. */
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  handler(args: A, context: TaskContext): Promise<unknown>;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Declares a tool (checks its name and schema) for `@Agent({ tools })` or `converse({ tools })`. */
export function defineTool<A = Record<string, unknown>>(tool: AgentTool<A>): AgentTool<A> {
  if (!TOOL_NAME.test(tool.name)) throw new TypeError(`A tool's name must be 1 to 64 letters, digits, "_" or "-" (got ${JSON.stringify(tool.name)})`);
  if (typeof tool.parameters !== 'object' || tool.parameters === null || tool.parameters.type !== 'object') {
    throw new TypeError(`Tool "${tool.name}": parameters must be a JSON Schema with "type": "object"`);
  }
  if (typeof tool.handler !== 'function') throw new TypeError(`Tool "${tool.name}" has no handler`);
  return tool;
}
