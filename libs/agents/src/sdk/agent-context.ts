import type { TaskContext } from '@switchyard/orchestration';
import type { ChatMessage, ModelProvider, ResponseFormat } from '../models/model-provider';
import { Conversation, converse } from './converse';
import type { AgentTool } from './tools';

export interface AskOptions<T> {
  readonly system?: string;
  /** Structured output: the answer must be JSON matching this schema. */
  readonly responseFormat?: ResponseFormat;
  readonly parse?: (text: string) => T;
  /** @defaultValue the agent's `maxSteps` */
  readonly maxSteps?: number;
  /** @defaultValue the agent's `tools` */
  readonly tools?: readonly AgentTool<never>[];
}

/**
 * The context an agent hosted by a worker gets: the engine's {@link TaskContext}, and `ask`, a
 * conversation with the worker's model (its agent type's models from SWITCHYARD_MODELS) that may
 * call the tools the agent declared (`@Agent({ tools })`), as durable steps (see converse).
 */
export interface AgentContext extends TaskContext {
  ask<T = string>(prompt: string | readonly ChatMessage[], options?: AskOptions<T>): Promise<Conversation<T>>;
}

/** What `ask` uses: the model, and what the agent declared. */
export interface AskDefaults {
  readonly model: ModelProvider;
  readonly tools?: readonly AgentTool<never>[];
  readonly maxSteps?: number;
  readonly models?: readonly string[];
}

/**
 * The engine's context with `ask`; each `ask` of a run has its own durable steps (`ask<n>:...`).
 * The engine makes a context for each run, so `ask` is added to it: its lazy getters stay lazy,
 * and no object per run becomes a prototype (which V8 makes costly, about 3 µs a task).
 */
export function withAsk(context: TaskContext, defaults: AskDefaults): AgentContext {
  let asked = 0;
  const ask = <T>(prompt: string | readonly ChatMessage[], options: AskOptions<T> = {}) =>
    converse<T>(defaults.model, context, {
      ...options,
      prompt,
      tools: options.tools ?? defaults.tools,
      maxSteps: options.maxSteps ?? defaults.maxSteps,
      models: defaults.models,
      stepPrefix: `ask${asked++}`,
    });
  return Object.assign(context, { ask });
}
