import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A real HTTP server on 127.0.0.1 and a free port, for tests of agents that call HTTP: it records
 * every request it received and answers with the handler the test gives it.
 */
export class LoopbackServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly requests: ReceivedRequest[],
  ) {}

  static async start(handler: (request: ReceivedRequest, response: ServerResponse) => void): Promise<LoopbackServer> {
    const requests: ReceivedRequest[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        requests.push(received);
        handler(received, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new LoopbackServer(server, (server.address() as AddressInfo).port, requests);
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops open connections (a handler that never answered leaves one). */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
