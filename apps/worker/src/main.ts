import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { reportStartupFailure } from '@switchyard/orchestration';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  // No HTTP server: the worker only consumes queues. SIGTERM drains it (see WorkerHost).
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.init();
}

bootstrap().catch(reportStartupFailure('worker'));
