import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ZodValidationPipe } from 'nestjs-zod';
import { OrchestrationApiModule, ProcessLoggerModule, RedisThrottlerStorage, SWITCHYARD_CONFIG } from '@switchyard/orchestration';

import { ProblemDetailsFilter } from './http/problem-details.filter';
import { KnownQueryGuard } from './http/known-query.guard';
import { RateLimitGuard, rateLimitOptions } from './http/rate-limits';
import { RequestBodyGate } from './http/request-body.gate';
import { AuthGuard } from './auth/auth.guard';
import { OrchestratorController } from './orchestrator/orchestrator.controller';
import { HealthController } from './health/health.controller';
import { AgentsController } from './agents/agents.controller';
import { RemoteTasksController } from './agents/remote-tasks.controller';
import { SessionLogsController } from './observability/session-logs.controller';
import { MetricsController } from './observability/metrics.controller';

@Module({
  imports: [
    ProcessLoggerModule.forApp('api'),
    OrchestrationApiModule,
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
    // Per API key and per tenant, counted in Redis so the limits hold across replicas; 429 with Retry-After.
    ThrottlerModule.forRootAsync({
      imports: [OrchestrationApiModule],
      inject: [SWITCHYARD_CONFIG, RedisThrottlerStorage],
      useFactory: rateLimitOptions,
    }),
  ],
  controllers: [OrchestratorController, HealthController, SessionLogsController, MetricsController, AgentsController, RemoteTasksController],
  providers: [
    AuthGuard,
    RequestBodyGate,
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    // In this order: who is asking (401/403), how often (429), with what (400). Whose session it is
    // (404 for another tenant's, as for a missing one) each session route checks after validation.
    { provide: APP_GUARD, useExisting: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: KnownQueryGuard },
  ],
})
export class ApiModule {}
