import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ZodValidationPipe } from 'nestjs-zod';
import { OrchestrationApiModule, ProcessLoggerModule } from '@switchyard/orchestration';

import { ProblemDetailsFilter } from './http/problem-details.filter';
import { OrchestratorController } from './orchestrator/orchestrator.controller';
import { HealthController } from './health/health.controller';
import { AgentsController } from './agents/agents.controller';

@Module({
  imports: [ProcessLoggerModule.forApp('api'), OrchestrationApiModule, TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [OrchestratorController, HealthController, AgentsController],
  providers: [
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class ApiModule {}
