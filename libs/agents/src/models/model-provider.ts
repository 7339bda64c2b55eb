/** One request to a language model. */
export interface CompletionRequest {
  /** Instructions that frame the task. */
  readonly system?: string;
  readonly prompt: string;
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
}

export interface Completion {
  readonly text: string;
  /** Which model answered. */
  readonly model: string;
  /** The tokens the call took, when the provider reports them. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number; readonly totalTokens: number };
}

/** Any model behind one method; built-in agents call it at least once per task. */
export interface ModelProvider {
  complete(request: CompletionRequest): Promise<Completion>;
}

/** Injection token of the worker's {@link ModelProvider}. */
export const MODEL_PROVIDER = Symbol('MODEL_PROVIDER');
