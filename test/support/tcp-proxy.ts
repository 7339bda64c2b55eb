import { createServer, Server, Socket, connect } from 'node:net';
import { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of the API that a test can cut: `cut()` destroys every connection
 * through it at once (as a load balancer's timeout or a network blip would), while new
 * connections go through as before.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  cuts = 0;
  /** Connections opened through the proxy so far. */
  connections = 0;

  private constructor(private readonly targetPort: number) {}

  static async start(targetUrl: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(Number(new URL(targetUrl).port));
    proxy.server = createServer((client) => {
      proxy.connections += 1;
      const upstream = connect(proxy.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on('close', () => proxy.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Drops every open connection through the proxy. */
  cut(): void {
    this.cuts += 1;
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
