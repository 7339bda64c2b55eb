import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, reportStartupFailure } from '@switchyard/orchestration';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  // No HTTP server: the worker only consumes queues. SIGTERM drains it (see WorkerHost).
  const app = await NestFactory.createApplicationContext(WorkerModule, {
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

bootstrap().catch(reportStartupFailure('worker'));
