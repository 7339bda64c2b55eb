import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { SWITCHYARD_CONFIG, SwitchyardConfigModule } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';

/**
 * Structured JSON process logs (pino, through nestjs-pino), one line per event, each with the
 * app's name, so API and worker logs can be told apart and joined on session and task ids.
 */
@Module({})
export class ProcessLoggerModule {
  static forApp(app: 'api' | 'worker'): DynamicModule {
    return {
      module: ProcessLoggerModule,
      imports: [
        LoggerModule.forRootAsync({
          imports: [SwitchyardConfigModule],
          inject: [SWITCHYARD_CONFIG],
          useFactory: (config: SwitchyardConfig) => ({
            pinoHttp: {
              level: config.logLevel,
              base: { app, pid: process.pid },
              autoLogging: app === 'api' ? { ignore: (req) => req.url === '/docs' || req.url?.startsWith('/docs/') === true } : false,
              quietReqLogger: true,
              // Query strings may carry secrets (a stream token on the event stream's URL): a
              // request's line keeps its path only.
              serializers: { req: (req: { url?: string }) => ({ ...req, url: req.url?.split('?')[0], query: undefined }) },
            },
          }),
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
