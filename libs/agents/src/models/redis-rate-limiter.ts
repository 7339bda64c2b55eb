import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { RedisConnections, RedisModelRateLimiter, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';
import { MODEL_RATE_LIMITER, ModelRateLimiter } from './model-rate-limiter';

/** The Redis limiter with a connection of its own, closed when the worker shuts down. */
class WorkerModelRateLimiter extends RedisModelRateLimiter implements ModelRateLimiter, OnApplicationShutdown {
  constructor(
    private readonly connections: RedisConnections,
    config: SwitchyardConfig,
  ) {
    super(connections.client, { prefix: config.prefix, limits: config.usage.limits });
  }

  onApplicationShutdown(): Promise<void> {
    return this.connections.onApplicationShutdown();
  }
}

/**
 * The worker's {@link MODEL_RATE_LIMITER}: with SWITCHYARD_MODEL_LIMITS set, the limiter every
 * worker shares through Redis; without, `unlimited`.
 */
export function modelRateLimiterProvider(unlimited: ModelRateLimiter): Provider {
  return {
    provide: MODEL_RATE_LIMITER,
    inject: [SWITCHYARD_CONFIG],
    useFactory: (config: SwitchyardConfig): ModelRateLimiter =>
      Object.keys(config.usage.limits).length > 0 ? new WorkerModelRateLimiter(new RedisConnections(config), config) : unlimited,
  };
}
