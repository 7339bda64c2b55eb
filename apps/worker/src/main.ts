import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, reportStartupFailure } from '@switchyard/orchestration';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  // No HTTP server: the worker only consumes queues. SIGTERM drains it (see WorkerHost).
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  closeOnSignals(app, (error) => new NestLogger('Worker').error(error));
  await app.init();
}

bootstrap().catch(reportStartupFailure('worker'));
