import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ZodValidationPipe } from 'nestjs-zod';
import { OrchestrationApiModule, ProcessLoggerModule, RedisThrottlerStorage, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';

import { ProblemDetailsFilter } from './http/problem-details.filter';
import { KnownQueryGuard } from './http/known-query.guard';
import { OrchestratorController } from './orchestrator/orchestrator.controller';
import { HealthController } from './health/health.controller';

@Module({
  imports: [
    ProcessLoggerModule.forApp('api'),
    OrchestrationApiModule,
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
    // Per client (its IP), counted in Redis so the limit holds across replicas; 429 with Retry-After.
    ThrottlerModule.forRootAsync({
      imports: [OrchestrationApiModule],
      inject: [SWITCHYARD_CONFIG, RedisThrottlerStorage],
      useFactory: (config: SwitchyardConfig, storage: RedisThrottlerStorage) => ({
        throttlers: [{ name: 'default', limit: config.rateLimit, ttl: config.rateWindowMs }],
        skipIf: () => config.rateLimit === 0,
        generateKey: (_context, tracker) => tracker,
        errorMessage: `Too many requests: at most ${config.rateLimit} per ${config.rateWindowMs} ms per client; retry after the number of seconds in Retry-After`,
        storage,
      }),
    }),
  ],
  controllers: [OrchestratorController, HealthController],
  providers: [
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useClass: KnownQueryGuard },
  ],
})
export class ApiModule {}
