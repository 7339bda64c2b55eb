import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp } from 'pino-http';
import { processLoggerOptions } from './process-logger.module';

/** One request through pino-http with the process logger's options; answers the line it logged. */
async function logOf(path: string, headers: Record<string, string>, setCookie?: string): Promise<any> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const log = pinoHttp(processLoggerOptions('api', { logLevel: 'info' }), sink);
  const server = createServer((req, res) => {
    log(req, res);
    if (setCookie) res.setHeader('set-cookie', setCookie);
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const answered = new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, headers }, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });
    await answered;
    // pino-http writes its line when the response finishes: give the sink its turn, bounded.
    for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    server.close();
  }
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('processLoggerOptions', () => {
  it('logs key, cookie and idempotency headers as [redacted], keeping the others', async () => {
    const line = await logOf(
      '/api/orchestrator/templates',
      {
        authorization: 'Bearer sy_secret1',
        'x-api-key': 'sy_secret2',
        cookie: 'a=secret3',
        'idempotency-key': 'secret4',
        'user-agent': 'spec',
      },
      'session=secret5',
    );
    expect(line.req.headers).toMatchObject({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'idempotency-key': '[redacted]',
      'user-agent': 'spec',
    });
    expect(line.res.headers['set-cookie']).toBe('[redacted]');
    expect(JSON.stringify(line)).not.toMatch(/secret\d/);
  });

  it('logs a request URL without its query string', async () => {
    const line = await logOf('/api/orchestrator/sessions/x/events?token=secret6&logLevel=info', {});
    expect(line.req.url).toBe('/api/orchestrator/sessions/x/events');
    expect(line.req).not.toHaveProperty('query');
    expect(JSON.stringify(line)).not.toContain('secret6');
  });
});
