import type { SwitchyardConfig } from '@switchyard/orchestration';
import { ModelProvider } from './model-provider';
import { OfflineModelProvider } from './offline-model.provider';
import { OpenAiCompatibleModelProvider } from './openai-compatible.provider';

/** The provider SWITCHYARD_MODEL_PROVIDER names: offline (the default) or openai. */
export function createModelProvider(config: SwitchyardConfig): ModelProvider {
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
      });
  }
}
