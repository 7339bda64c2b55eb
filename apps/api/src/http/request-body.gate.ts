import { Inject, Injectable, Logger, RequestTimeoutException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';
import { AuthGuard } from '../auth/auth.guard';
import { toProblem } from './problem-details.filter';

/** Whether a request announces a body: a positive Content-Length, or any Transfer-Encoding. */
function announcesBody(request: Request): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/**
 * In front of the body parser, so that nobody without a valid API key can make the API read a
 * body: a request announcing one is authenticated on its headers first (by
 * {@link AuthGuard.authenticate}), and refused at once with a 401 otherwise. No public route
 * takes a body, so none is exempt. A body that is not in whole within `SWITCHYARD_BODY_TIMEOUT_MS`
 * gets a 408. Both answers close the connection, leaving the rest of the body unread.
 */
@Injectable()
export class RequestBodyGate {
  private readonly logger = new Logger(RequestBodyGate.name);

  constructor(
    private readonly auth: AuthGuard,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** The middleware; `app.use` it before the body parser. */
  readonly use = (request: Request, response: Response, next: NextFunction): void => {
    if (!announcesBody(request)) return next();
    try {
      this.auth.authenticate(request.headers);
    } catch (error) {
      this.refuse(request, response, error);
      return;
    }
    this.bound(request, response);
    next();
  };

  /** Answers 408 when the body is still incomplete after the timeout (unless the answer has started). */
  private bound(request: Request, response: Response): void {
    const timeoutMs = this.config.bodyTimeoutMs;
    const timer = setTimeout(() => {
      if (request.complete || response.headersSent) return;
      this.refuse(
        request,
        response,
        new RequestTimeoutException(`The request body did not arrive in whole within ${timeoutMs} ms (SWITCHYARD_BODY_TIMEOUT_MS); send it again, faster`),
      );
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    request.once('end', clear);
    response.once('close', clear);
  }

  private refuse(request: Request, response: Response, error: unknown): void {
    const problem = toProblem(error);
    this.logger.warn({ method: request.method, path: request.path, status: problem.status }, 'request body refused');
    response.setHeader('Connection', 'close');
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}

/**
 * Puts the {@link RequestBodyGate} in front of everything registered after it, and bounds what
 * Node itself waits for: the headers within `SWITCHYARD_BODY_TIMEOUT_MS`, the whole request within
 * twice that (a backstop that Node checks only every 30 s; the gate's 408 comes on time).
 */
export function guardRequestBodies(app: NestExpressApplication): void {
  const gate = app.get(RequestBodyGate);
  const { bodyTimeoutMs } = app.get<SwitchyardConfig>(SWITCHYARD_CONFIG);
  app.use(gate.use);
  const server = app.getHttpServer() as Server;
  server.headersTimeout = bodyTimeoutMs;
  server.requestTimeout = 2 * bodyTimeoutMs;
}
