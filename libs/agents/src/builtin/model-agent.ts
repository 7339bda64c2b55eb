import type { SwitchyardConfig, TaskContext, TaskRun } from '@switchyard/orchestration';
import { z } from 'zod';
import { AgentHandler } from '../sdk/agent.decorator';
import { ModelProvider, ResponseFormat } from '../models/model-provider';
import { modelsFor } from '../models/model-provider.factory';
import { converse, jsonAnswer } from '../sdk/converse';
import { buildPrompt } from './prompt';

/** What every model-backed built-in agent returns, plus its own fields. */
export interface ModelAgentOutput {
  /** The capability the task asked for first: what kind of work this is. */
  readonly capability: string;
  /** The model's answer in prose (for structured answers, their main text field). */
  readonly text: string;
  readonly model: string;
  /** The ids of the tasks whose results this work was based on. */
  readonly basedOn: string[];
}

/** The shape a built-in agent asks the model for on one capability, and which field is its prose. */
export interface OutputShape {
  readonly name: string;
  readonly schema: z.ZodObject;
  readonly text: (value: Record<string, unknown>) => string;
}

/** Text cut to at most `max` characters, its end marked with "..." when cut (for display, never for prompts). */
export function excerpt(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A failure a task asked for (`input.simulateFailures`), to try retries and failure policies. */
export class SimulatedFailureError extends Error {
  override readonly name = 'SimulatedFailureError';
}

/**
 * The built-in agents fail the first N runs of a task whose input has `simulateFailures: N`:
 * a way to watch retries, backoff and failure policies work without a flaky dependency.
 */
export function failIfAsked(task: TaskRun): void {
  const failures = (task.input as { simulateFailures?: unknown } | null)?.simulateFailures;
  if (typeof failures === 'number' && task.attempt <= failures) {
    throw new SimulatedFailureError(`simulated failure ${task.attempt} of ${failures} (input.simulateFailures)`);
  }
}

const formats = new WeakMap<OutputShape, ResponseFormat>();

/** The structured-output request of a shape (its JSON Schema made once). */
export function responseFormatOf(shape: OutputShape): ResponseFormat {
  let format = formats.get(shape);
  if (!format) formats.set(shape, (format = { name: shape.name, schema: z.toJSONSchema(shape.schema) as Record<string, unknown> }));
  return format;
}

/** Parses the model's JSON answer with the shape's schema; the first issues name what is wrong. */
export function parserOf(shape: OutputShape): (text: string) => Record<string, unknown> {
  return jsonAnswer((value) => {
    const parsed = shape.schema.safeParse(value);
    if (parsed.success) return parsed.data as Record<string, unknown>;
    throw new Error(
      parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`)
        .join('; '),
    );
  });
}

/**
 * The base of the built-in agents: a conversation with the model (its agent type's models from
 * SWITCHYARD_MODELS) over a prompt made of the task, the session's context and its dependencies'
 * full results, trimmed to SWITCHYARD_PROMPT_MAX_TOKENS (a trim is logged). Where the agent's
 * work has a shape (a verdict, code, findings, test results), the model is asked for it as
 * structured output and its answer parsed into it; a parse failure is a ModelOutputError, retried
 * like any failure. The model's text streams to `context.emit`, its usage to `context.recordUsage`.
 */
export abstract class ModelAgent implements AgentHandler {
  protected abstract readonly role: string;
  /** The agent type (for SWITCHYARD_MODELS). */
  protected abstract readonly type: string;

  constructor(
    protected readonly model: ModelProvider,
    protected readonly config: SwitchyardConfig,
  ) {}

  async run(task: TaskRun, context: TaskContext): Promise<unknown> {
    failIfAsked(task);
    const maxTokens = this.config.models.promptMaxTokens;
    const prompt = buildPrompt(task, context.shared, maxTokens);
    if (prompt.trimmed.length > 0) {
      context.log.info('prompt trimmed to fit SWITCHYARD_PROMPT_MAX_TOKENS', { maxTokens, estimatedTokens: prompt.estimatedTokens, trimmed: prompt.trimmed });
    }
    const capability = task.capabilities[0];
    const shape = this.shape(capability);
    const conversation = await converse(this.model, context, {
      system: this.role,
      prompt: prompt.text,
      models: modelsFor(this.config, this.type),
      stepPrefix: 'agent',
      ...(shape ? { responseFormat: responseFormatOf(shape), parse: parserOf(shape) } : {}),
    });
    const fields = shape ? (conversation.value as Record<string, unknown>) : {};
    const basedOn = Object.keys(task.dependencies);
    context.log.info('model answered', { model: conversation.model, basedOn, calls: conversation.calls });
    return { capability, text: shape ? shape.text(fields) : conversation.text, model: conversation.model, basedOn, ...fields };
  }

  /** The shape of this agent's answer on `capability`; `undefined`: plain text. */
  protected shape(_capability: string): OutputShape | undefined {
    return undefined;
  }
}
