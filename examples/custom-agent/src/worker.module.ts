import { Module } from '@nestjs/common';
import { AgentsModule, BUILTIN_AGENTS } from '@switchyard/agents';
import { OrchestrationWorkerModule, ProcessLoggerModule } from '@switchyard/orchestration';
import { SummariserAgent } from './summariser.agent';

@Module({
  imports: [
    ProcessLoggerModule.forApp('worker'),
    OrchestrationWorkerModule.register({ agents: AgentsModule.register({ agents: [...BUILTIN_AGENTS, SummariserAgent] }) }),
  ],
})
export class ExampleWorkerModule {}
