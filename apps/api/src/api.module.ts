import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ZodValidationPipe } from 'nestjs-zod';
import { OrchestrationApiModule, ProcessLoggerModule, RedisThrottlerStorage, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';

import { ProblemDetailsFilter } from './http/problem-details.filter';
import { KnownQueryGuard } from './http/known-query.guard';
import { AuthGuard } from './auth/auth.guard';
import { OrchestratorController } from './orchestrator/orchestrator.controller';
import { HealthController } from './health/health.controller';
import { AgentsController } from './agents/agents.controller';
import { SessionLogsController } from './observability/session-logs.controller';
import { MetricsController } from './observability/metrics.controller';

@Module({
  imports: [
    ProcessLoggerModule.forApp('api'),
    OrchestrationApiModule,
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
    // Per API key, counted in Redis so the limit holds across replicas; 429 with Retry-After.
    ThrottlerModule.forRootAsync({
      imports: [OrchestrationApiModule],
      inject: [SWITCHYARD_CONFIG, RedisThrottlerStorage],
      useFactory: (config: SwitchyardConfig, storage: RedisThrottlerStorage) => ({
        throttlers: [{ name: 'default', limit: config.rateLimit, ttl: config.rateWindowMs }],
        skipIf: () => config.rateLimit === 0,
        // Per API key once authenticated (the auth guard runs first), else per client address.
        getTracker: (request: { principal?: { keyId: string }; ip?: string }) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
        generateKey: (_context, tracker) => tracker,
        errorMessage: `Too many requests: at most ${config.rateLimit} per ${config.rateWindowMs} ms per API key; retry after the number of seconds in Retry-After`,
        storage,
      }),
    }),
  ],
  controllers: [OrchestratorController, HealthController, SessionLogsController, MetricsController, AgentsController],
  providers: [
    AuthGuard,
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    // In this order: who is asking (401/403), how often (429), with what (400). Whose session it is
    // (404 for another tenant's, as for a missing one) each session route checks after validation.
    { provide: APP_GUARD, useExisting: AuthGuard },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useClass: KnownQueryGuard },
  ],
})
export class ApiModule {}
