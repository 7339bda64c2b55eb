import { Module } from '@nestjs/common';
import { AgentsModule } from '@switchyard/agents';
import { OrchestrationWorkerModule, ProcessLoggerModule } from '@switchyard/orchestration';

/** A worker process: hosts the built-in agents and consumes the queues of their capabilities. */
@Module({
  imports: [ProcessLoggerModule.forApp('worker'), OrchestrationWorkerModule.register({ agents: AgentsModule.register() })],
})
export class WorkerModule {}
