import 'reflect-metadata';
import { Logger as NestLogger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, reportStartupFailure } from '@switchyard/orchestration';

/**
 * Starts a worker process from its root module: the standard worker, or a worker app of your own
 * that hosts other agents (see examples/custom-agent).
 */
export function startWorker(rootModule: Type<unknown>): void {
  bootstrap(rootModule).catch(reportStartupFailure('worker'));
}

async function bootstrap(rootModule: Type<unknown>): Promise<void> {
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
