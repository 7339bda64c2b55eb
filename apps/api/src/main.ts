import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, reportStartupFailure, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';
import { ApiModule } from './api.module';
import { mountBullBoard } from './admin/bull-board';
import { buildOpenApiDocument } from './http/openapi';
import { guardRequestBodies } from './http/request-body.gate';
import { useJsonBody } from './http/json-body';
import { mountSessionPages } from './ui/session-pages';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, {
    bodyParser: false,
    // Nest's own console logger stays off (startup failures are reported as one line below);
    // what is logged while the app starts is kept and handed to pino once it is in place.
    logger: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  closeOnSignals(app, (error) => new NestLogger('Api').error(error));
  const config = app.get<SwitchyardConfig>(SWITCHYARD_CONFIG);
  guardRequestBodies(app); // before the body parser
  if (config.auth === 'on' && config.apiKeys.length === 0) {
    throw new Error(
      'SWITCHYARD_AUTH is on but SWITCHYARD_API_KEYS holds no key: make one with "npm run apikey -- --role admin --tenant <name>" and set SWITCHYARD_API_KEYS, ' +
        'or set SWITCHYARD_AUTH=off to run without authentication (never where others can reach the port)',
    );
  }
  if (config.auth === 'off') {
    new NestLogger('Api').warn('SWITCHYARD_AUTH=off: every request acts as an admin of tenant "default"; never expose this API beyond your machine');
  }
  useJsonBody(app, config);
  // Security headers everywhere; the two HTML pages (Swagger UI, Bull Board) run inline scripts,
  // so they go without a Content-Security-Policy. The session pages (/ui) keep the strict one:
  // their script and styles are files of this origin, and they talk to this origin only.
  const strict = helmet();
  const pages = helmet({ contentSecurityPolicy: false });
  app.use((req: { path: string }, res: unknown, next: () => void) =>
    (req.path.startsWith('/docs') || req.path.startsWith('/admin/') ? pages : strict)(req as never, res as never, next),
  );
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins.includes('*') ? true : [...config.corsOrigins] });

  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, config.bodyLimitBytes), { jsonDocumentUrl: 'docs-json' });

  // Before listen() (which runs the modules' start-up, Redis check included): Nest's own
  // not-found handler would otherwise come first.
  mountBullBoard(app);
  mountSessionPages(app, config);

  await app.listen(config.port, '0.0.0.0');
  new NestLogger('Api').log({ port: config.port, prefix: config.prefix, shards: config.shards }, 'api listening');
}

bootstrap().catch(reportStartupFailure('api'));
