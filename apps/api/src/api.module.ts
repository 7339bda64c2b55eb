import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ZodValidationPipe } from 'nestjs-zod';
import { OrchestrationApiModule, ProcessLoggerModule } from '@switchyard/orchestration';

import { ProblemDetailsFilter } from './http/problem-details.filter';
import { OrchestratorController } from './orchestrator/orchestrator.controller';

@Module({
  imports: [ProcessLoggerModule.forApp('api'), OrchestrationApiModule],
  controllers: [OrchestratorController],
  providers: [
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class ApiModule {}
