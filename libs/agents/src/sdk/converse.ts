import { markSpanFailed, type TaskContext } from '@switchyard/orchestration';
import { ChatAnswer, ChatMessage, ModelProvider, ResponseFormat, ToolCall } from '../models/model-provider';
import { ModelOutputError, ToolLoopError } from '../models/model-errors';
import { traceToolCall } from '../tracing/traced-tool';
import { AgentTool } from './tools';

/** The tool-loop steps a model-backed agent takes unless it says otherwise. */
export const DEFAULT_MAX_STEPS = 8;

export interface ConverseOptions<T> {
  readonly system?: string;
  /** The user's message, or the whole conversation so far. */
  readonly prompt: string | readonly ChatMessage[];
  readonly tools?: readonly AgentTool<never>[];
  /** Model calls at most (each answer with tool calls is one). @defaultValue 8 */
  readonly maxSteps?: number;
  readonly responseFormat?: ResponseFormat;
  /** Turns the final text into the agent's output; a throw is a {@link ModelOutputError} (retried as any failure). */
  readonly parse?: (text: string) => T;
  /** The model chain (SWITCHYARD_MODELS for the agent's type); default: the provider's model. */
  readonly models?: readonly string[];
  /** Names this conversation's durable steps: `<prefix>:model:<n>`, `<prefix>:tool:<n>:<call id>`. @defaultValue 'chat' */
  readonly stepPrefix?: string;
  readonly maxTokens?: number;
}

export interface Conversation<T> {
  readonly text: string;
  /** `parse(text)`, or the text without a parser. */
  readonly value: T;
  /** The model that gave the final answer. */
  readonly model: string;
  /** Model calls made (or replayed from durable steps). */
  readonly calls: number;
  readonly toolCalls: number;
  /** Summed over every model call. */
  readonly usage: ChatAnswer['usage'];
}

/** A model call as kept in its durable step: the answer and, for the final one, its parsed value. */
interface ModelStep<T> {
  readonly answer: ChatAnswer;
  readonly value?: T;
}

/**
 * Runs a model-backed agent's conversation: model -> tool calls -> handlers -> model, up to
 * `maxSteps` model calls, with OpenAI's `tools` / `tool_calls` messages. Every model call and
 * every tool call is a durable step (`context.step`): a retry of the task, or another worker
 * after this one died, replays the finished ones from Redis instead of paying for them again.
 * Each model call streams its text to `context.emit` and reports its usage to
 * `context.recordUsage` (once: inside its step). Each tool call is a log entry (name, arguments,
 * duration, error); a handler's error, unknown tool or arguments that are not JSON go back to the
 * model as the tool's result. The final answer is parsed inside its step, so a parse failure
 * keeps nothing and the retry asks the model again.
 */
export async function converse<T = string>(model: ModelProvider, context: TaskContext, options: ConverseOptions<T>): Promise<Conversation<T>> {
  const prefix = options.stepPrefix ?? 'chat';
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const tools = options.tools ?? [];
  const messages: ChatMessage[] = [
    ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
    ...(typeof options.prompt === 'string' ? [{ role: 'user' as const, content: options.prompt }] : options.prompt),
  ];
  const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  let toolCalls = 0;
  for (let n = 0; n < maxSteps; n++) {
    const step = await context.step(`${prefix}:model:${n}`, () => callModel(model, context, options, messages));
    const { answer } = step;
    usage.promptTokens += answer.usage.promptTokens;
    usage.completionTokens += answer.usage.completionTokens;
    usage.totalTokens += answer.usage.totalTokens;
    if (answer.toolCalls.length === 0) {
      return { text: answer.text, value: (step.value ?? answer.text) as T, model: answer.model, calls: n + 1, toolCalls, usage };
    }
    messages.push({ role: 'assistant', content: answer.text, toolCalls: answer.toolCalls });
    for (const call of answer.toolCalls) {
      toolCalls++;
      // Each tool call in a child span `execute_tool <name>` (inside its step: a replayed call has none).
      const result = await context.step(`${prefix}:tool:${n}:${call.id}`, () =>
        traceToolCall(call.name, () => runTool(tools, call, context), { 'gen_ai.tool.call.id': call.id }),
      );
      messages.push({ role: 'tool', toolCallId: call.id, content: result });
    }
  }
  throw new ToolLoopError(maxSteps);
}

async function callModel<T>(model: ModelProvider, context: TaskContext, options: ConverseOptions<T>, messages: readonly ChatMessage[]): Promise<ModelStep<T>> {
  const answer = await model.chat({
    messages,
    ...(options.tools?.length ? { tools: options.tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })) } : {}),
    ...(options.responseFormat ? { responseFormat: options.responseFormat } : {}),
    ...(options.models?.length ? { model: options.models } : {}),
    ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}),
    onDelta: (piece) => context.emit?.(piece),
    onRetry: (retry) => context.log.warn(retry.next === retry.model ? 'model call failed; retrying' : 'model call failed; trying the next model', { ...retry }),
    signal: context.signal,
  });
  context.recordUsage?.({ model: answer.model, ...answer.usage });
  if (answer.toolCalls.length > 0 || !options.parse) return { answer };
  try {
    return { answer, value: options.parse(answer.text) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    context.log.warn('model answer not in the shape asked for', { model: answer.model, error: detail, text: answer.text.slice(0, 500) });
    throw new ModelOutputError(answer.model, detail);
  }
}

/** Runs one tool call; answers what goes back to the model (its result, or its error). */
async function runTool(tools: readonly AgentTool<never>[], call: ToolCall, context: TaskContext): Promise<string> {
  const started = performance.now();
  let args: unknown;
  let error: string | undefined;
  let result: string;
  try {
    try {
      args = JSON.parse(call.arguments || '{}');
    } catch {
      throw new Error(`the arguments are not JSON: ${call.arguments.slice(0, 200)}`);
    }
    const tool = tools.find((t) => t.name === call.name);
    if (!tool) throw new Error(`no tool named "${call.name}" (the tools are: ${tools.map((t) => t.name).join(', ') || 'none'})`);
    const value = await tool.handler(args as never, context);
    result = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  } catch (failure) {
    if (context.signal.aborted) throw failure;
    // The model gets the error as the tool's result; the tool's span (the active one) says it failed.
    markSpanFailed(failure);
    error = failure instanceof Error ? failure.message : String(failure);
    result = JSON.stringify({ error });
  }
  const durationMs = Math.round(performance.now() - started);
  const entry = { tool: call.name, callId: call.id, arguments: args ?? call.arguments, durationMs, ...(error === undefined ? {} : { error }) };
  if (error === undefined) context.log.info('tool called', entry);
  else context.log.warn('tool failed', entry);
  return result;
}

/** A parser for `converse`: the text as JSON, checked by `check` (a zod schema's parse, say). */
export function jsonAnswer<T>(check: (value: unknown) => T): (text: string) => T {
  return (text) => {
    const trimmed = text
      .trim()
      .replace(/^```(?:json)?\s*/i, '')
      .replace(/```$/, '')
      .trim();
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new Error(`the answer is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
    }
    return check(value);
  };
}
