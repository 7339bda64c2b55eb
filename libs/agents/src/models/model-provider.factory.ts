import type { SwitchyardConfig } from '@switchyard/orchestration';
import { ModelProvider } from './model-provider';
import type { ModelRateLimiter } from './model-rate-limiter';
import { OfflineModelProvider } from './offline-model.provider';
import { OpenAiCompatibleModelProvider } from './openai-compatible.provider';
import { UNLIMITED } from './unlimited-rate-limiter';

/** The provider SWITCHYARD_MODEL_PROVIDER names: offline (the default) or openai. */
export function createModelProvider(config: SwitchyardConfig, limiter: ModelRateLimiter = UNLIMITED): ModelProvider {
  const models = config.models;
  switch (models.provider) {
    case 'offline':
      return new OfflineModelProvider(config.offlineLatencyMs);
    case 'openai':
      return new OpenAiCompatibleModelProvider({
        baseUrl: models.baseUrl,
        apiKey: models.apiKey,
        // The environment's validation makes SWITCHYARD_MODEL required for this provider.
        model: models.model!,
        timeoutMs: models.timeoutMs,
        maxRetries: models.maxRetries,
        limiter,
      });
  }
}

/**
 * The models an agent type asks for, in fallback order (SWITCHYARD_MODELS); `undefined` for a
 * type not listed there: the provider's own model (SWITCHYARD_MODEL).
 */
export function modelsFor(config: SwitchyardConfig, agentType: string): readonly string[] | undefined {
  return config.models.byAgent[agentType];
}
