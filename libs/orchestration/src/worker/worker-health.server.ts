import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { WorkerReadiness } from './worker-readiness.service';

/**
 * A worker's probes, on SWITCHYARD_WORKER_HEALTH_PORT (0: any free port; `off`: none): `GET
 * /health/live` answers 200 whenever the event loop does, `GET /health/ready` 200 or 503 with
 * WorkerReadiness' report. It listens from the start (ready says not yet while the worker boots)
 * until the very end of a shutdown (ready says draining meanwhile).
 */
@Injectable()
export class WorkerHealthServer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHealthServer.name);
  private server?: Server;

  constructor(
    private readonly readiness: WorkerReadiness,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const port = this.config.workerHealthPort;
    if (port === 'off') return;
    const server = createServer((request, response) => this.answer(request, response));
    // Probes come every few seconds; idle keep-alive connections must not hold a shutdown up.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`SWITCHYARD_WORKER_HEALTH_PORT: port ${port} is in use (give each worker on one host its own port, 0 for any free one, or off)`)
            : error,
        ),
      );
      server.listen(port, () => resolve());
    });
    this.server = server;
    this.logger.log({ port: (server.address() as AddressInfo).port }, 'worker health listening');
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, { status: 'error', message: 'only GET' }, { Allow: 'GET, HEAD' });
    if (path === '/health/live') return send(response, 200, { status: 'ok' });
    if (path === '/health/ready') {
      const report = this.readiness.report();
      return send(response, report.status === 'ready' ? 200 : 503, report);
    }
    send(response, 404, { status: 'error', message: 'not found: the worker serves GET /health/live and GET /health/ready' });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(text);
}
