import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { SWITCHYARD_CONFIG, SwitchyardConfigModule } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { loggableUrl } from './loggable-url';

/** Request and response headers that carry secrets: logged as `[redacted]`. */
const REDACTED_HEADERS = {
  request: ['authorization', 'x-api-key', 'cookie', 'idempotency-key'],
  response: ['set-cookie'],
} as const;

/** A request as pino-std-serializers shows it (the fields read here). */
interface SerializedRequest {
  readonly id?: unknown;
  readonly method?: string;
  readonly url?: string;
  readonly params?: unknown;
  readonly headers?: Record<string, unknown>;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/**
 * A request's log fields: its URL without the query string (where tokens travel, such as the
 * event stream's `?token=`), and no `query` field for the same reason.
 */
function serializeRequest(req: SerializedRequest) {
  const { id, method, url, params, headers, remoteAddress, remotePort } = req;
  return { id, method, url: url === undefined ? url : loggableUrl(url), params, headers, remoteAddress, remotePort };
}

/** The pino-http options of an app's process logger. */
export function processLoggerOptions(app: 'api' | 'worker', config: Pick<SwitchyardConfig, 'logLevel'>): Options {
  return {
    level: config.logLevel,
    base: { app, pid: process.pid },
    autoLogging: app === 'api' ? { ignore: (req) => req.url === '/docs' || req.url?.startsWith('/docs/') === true } : false,
    quietReqLogger: true,
    serializers: { req: serializeRequest },
    redact: {
      paths: [...REDACTED_HEADERS.request.map((name) => `req.headers["${name}"]`), ...REDACTED_HEADERS.response.map((name) => `res.headers["${name}"]`)],
      censor: '[redacted]',
    },
  };
}

/**
 * Structured JSON process logs (pino, through nestjs-pino), one line per event, each with the
 * app's name, so API and worker logs can be told apart and joined on session and task ids.
 * The headers in {@link REDACTED_HEADERS} are censored and URLs lose their query strings.
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
          useFactory: (config: SwitchyardConfig) => ({ pinoHttp: processLoggerOptions(app, config) }),
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
