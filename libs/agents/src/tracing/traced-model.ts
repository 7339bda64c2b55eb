import { inSpan, SpanKind, SwitchyardConfig, tracingOn } from '@switchyard/orchestration';
import { OFFLINE_MODEL } from '../models/offline-model.provider';

/** The provider methods that call a model (the others are passed through untouched). */
const MODEL_CALLS: ReadonlySet<string> = new Set(['complete', 'chat']);

/** What a model call answers, as far as its span reads it (the provider's own type may say more). */
interface ModelAnswer {
  readonly model?: string;
  readonly usage?: { readonly promptTokens?: number; readonly completionTokens?: number };
}

/** Which model a call is for, and through what. */
export interface TracedModel {
  /** `gen_ai.provider.name`: `openai` for an OpenAI-compatible server, or `switchyard-offline`. */
  readonly provider: string;
  /** The model asked for when a call names none. */
  readonly model: string;
}

/** The model calls of the provider SWITCHYARD_MODEL_PROVIDER names go to. */
export function tracedModelOf(config: Pick<SwitchyardConfig, 'models'>): TracedModel {
  const { provider, model } = config.models;
  return provider === 'openai' ? { provider: 'openai', model: model ?? 'unknown' } : { provider: 'switchyard-offline', model: OFFLINE_MODEL };
}

/** The GenAI operation a provider method performs (OpenTelemetry's `gen_ai.operation.name`). */
function operationOf(method: string): string {
  return method === 'complete' ? 'text_completion' : 'chat';
}

/**
 * `provider` with each of its model calls (its `complete` or `chat` method) in a child span of
 * the active one (the task attempt's), named `<operation> <model>` and carrying OpenTelemetry's
 * GenAI attributes: gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model,
 * gen_ai.response.model and, when the answer reports its usage, gen_ai.usage.input_tokens and
 * gen_ai.usage.output_tokens. Traces off, `provider` itself is answered: nothing is wrapped.
 */
export function traceModelCalls<P extends object>(provider: P, model: TracedModel): P {
  if (!tracingOn()) return provider;
  return new Proxy(provider, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver) as unknown;
      if (typeof member !== 'function' || typeof property !== 'string' || !MODEL_CALLS.has(property)) return member;
      return (...args: unknown[]) => {
        const request = (args[0] ?? {}) as { model?: unknown };
        const requested = typeof request.model === 'string' ? request.model : model.model;
        const operation = operationOf(property);
        const attributes = { 'gen_ai.operation.name': operation, 'gen_ai.provider.name': model.provider, 'gen_ai.request.model': requested };
        return inSpan(`${operation} ${requested}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
          const answer = (await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as ModelAnswer | undefined;
          if (answer?.model) span?.setAttribute('gen_ai.response.model', answer.model);
          if (answer?.usage?.promptTokens !== undefined) span?.setAttribute('gen_ai.usage.input_tokens', answer.usage.promptTokens);
          if (answer?.usage?.completionTokens !== undefined) span?.setAttribute('gen_ai.usage.output_tokens', answer.usage.completionTokens);
          return answer;
        });
      };
    },
  });
}
