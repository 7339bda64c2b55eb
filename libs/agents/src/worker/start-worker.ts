import 'reflect-metadata';
import { DynamicModule, Logger as NestLogger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, OrchestrationWorkerModule, ProcessLoggerModule, reportStartupFailure } from '@switchyard/orchestration';
import { AgentsModule, AgentsModuleOptions } from '../agents.module';

/**
 * The root module of a worker process: the process logger, the orchestration engine's worker
 * side, and the agents it hosts. {@link startWorker} starts it; a Nest app of your own may import it.
 */
@Module({})
export class SwitchyardWorkerModule {
  /** @param options the agents to host; @defaultValue the built-in agents */
  static register(options: AgentsModuleOptions = {}): DynamicModule {
    return {
      module: SwitchyardWorkerModule,
      imports: [ProcessLoggerModule.forApp('worker'), OrchestrationWorkerModule.register({ agents: AgentsModule.register(options) })],
    };
  }
}

/**
 * Starts a worker process hosting the agents listed (`startWorker({ agents: [...BUILTIN_AGENTS,
 * MyAgent] })`; without options, the built-in agents). Configuration comes from the environment
 * (`REDIS_URL`, `SWITCHYARD_PREFIX`, ...); SIGTERM drains the worker. A failure to start is one
 * line on stderr and exit code 1.
 */
export function startWorker(options: AgentsModuleOptions = {}): void {
  bootstrap(SwitchyardWorkerModule.register(options)).catch(reportStartupFailure('worker'));
}

async function bootstrap(rootModule: DynamicModule): Promise<void> {
  // No HTTP server: the worker only consumes queues. SIGTERM drains it (see WorkerHost).
  const app = await NestFactory.createApplicationContext(rootModule, {
    // Nest's own console logger stays off (startup failures are reported as one line below);
    // what is logged while the app starts is kept and handed to pino once it is in place.
    logger: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  closeOnSignals(app, (error) => new NestLogger('Worker').error(error));
  await app.init();
}
