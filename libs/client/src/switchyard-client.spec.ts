import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { BadRequestError, ClientError, ConnectionError, NotFoundError, ServerError, ServiceUnavailableError } from './errors';
import { SessionEvent } from './types';
import { SwitchyardClient } from './switchyard-client';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A loopback HTTP server whose every request is answered by the test's handler, and recorded. */
class Loopback {
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  handler: Handler = (_request, _body, response) => response.writeHead(500).end();
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        this.requests.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        this.handler(request, body, response);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  response.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers }).end(JSON.stringify(body));

const SESSION = '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33';
const sse = (id: number, event: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

describe('SwitchyardClient against a loopback server', () => {
  const server = new Loopback();
  let client: SwitchyardClient;

  beforeEach(async () => {
    server.requests.length = 0;
    client = new SwitchyardClient({ baseUrl: `${await server.start()}/`, apiKey: 'sy_test', timeoutMs: 5_000 });
  });

  afterEach(() => server.stop());

  it("speaks a remote agent's protocol: a 204 long poll is undefined, a task comes with its lease, complete and fail carry it", async () => {
    const token = '1b4e28ba-2fa1-41d2-883f-0016d3cca427.Qm2w7RkdJ0x8f3aZbL4pVtY9uNcE1sHg';
    const task = { sessionId: SESSION, taskId: 'fr', capabilities: ['translation'], input: 'Hello', dependencies: {}, attempt: 1, shared: {} };
    let polls = 0;
    server.handler = (request, _body, response) => {
      if (request.url!.includes('/tasks/next')) {
        if (polls++ === 0) return void response.writeHead(204).end();
        return json(response, 200, { task, leaseToken: token, leaseExpiresAt: '2026-11-25T12:00:30.000Z' });
      }
      if (request.url!.endsWith('/heartbeat')) return json(response, 200, { leaseExpiresAt: '2026-11-25T12:01:00.000Z' });
      json(response, 200, { taskId: 'fr', accepted: true });
    };
    expect(await client.agents.nextTask('py 1', { waitMs: 50 })).toBeUndefined();
    const lease = await client.agents.nextTask('py 1', { waitMs: 50 });
    expect(lease).toEqual({ task, leaseToken: token, leaseExpiresAt: '2026-11-25T12:00:30.000Z' });
    expect(await client.agents.heartbeatTask('py 1', 'fr', token)).toEqual({ leaseExpiresAt: '2026-11-25T12:01:00.000Z' });
    await client.agents.completeTask('py 1', 'fr', token, { text: 'Bonjour' });
    await client.agents.failTask('py 1', 'fr', token, { message: 'boom', retryable: false });
    expect(server.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/api/orchestrator/agents/py%201/tasks/next?waitMs=50', ''],
      ['POST', '/api/orchestrator/agents/py%201/tasks/next?waitMs=50', ''],
      ['POST', '/api/orchestrator/agents/py%201/tasks/fr/heartbeat', JSON.stringify({ leaseToken: token })],
      ['POST', '/api/orchestrator/agents/py%201/tasks/fr/complete', JSON.stringify({ leaseToken: token, output: { text: 'Bonjour' } })],
      ['POST', '/api/orchestrator/agents/py%201/tasks/fr/fail', JSON.stringify({ leaseToken: token, error: { message: 'boom', retryable: false } })],
    ]);
  });

  it('sends the key as a bearer token, the body as JSON, the idempotency key as its header', async () => {
    server.handler = (_request, _body, response) => json(response, 202, { sessionId: SESSION, status: 'pending' });
    const accepted = await client.orchestrate({ plan: { tasks: [{ id: 'fetch', capabilities: ['web_research'] }] } }, { idempotencyKey: 'k-1' });
    expect(accepted).toEqual({ sessionId: SESSION, status: 'pending' });
    const [sent] = server.requests;
    expect(sent).toMatchObject({ method: 'POST', url: '/api/orchestrator/orchestrate' });
    expect(sent.headers).toMatchObject({ authorization: 'Bearer sy_test', 'content-type': 'application/json', 'idempotency-key': 'k-1' });
    expect(JSON.parse(sent.body)).toEqual({ plan: { tasks: [{ id: 'fetch', capabilities: ['web_research'] }] } });
  });

  it('puts filters in the query, a list comma-joined, leaving out those not given and empty lists', async () => {
    server.handler = (_request, _body, response) => json(response, 200, { sessions: [], nextCursor: null });
    await client.sessions.list({ status: ['running', 'paused'], limit: 5 });
    await client.sessions.list({ status: [], limit: 5 });
    server.handler = (_request, _body, response) => json(response, 200, { entries: [], nextCursor: null });
    await client.sessions.logs(SESSION, { minLevel: 'warn', q: 'a b' });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/api/orchestrator/sessions?status=running%2Cpaused&limit=5',
      '/api/orchestrator/sessions?limit=5',
      `/api/orchestrator/sessions/${SESSION}/logs?minLevel=warn&q=a+b`,
    ]);
  });

  it('throws a problem+json answer as the typed error of its status, with every field and the issues list', async () => {
    const problem = {
      type: 'https://switchyard.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'plan.tasks[0].capabilities[0]: unknown capability "ghost"',
      errors: [{ path: 'plan.tasks[0].capabilities[0]', message: 'unknown capability "ghost"' }],
    };
    server.handler = (_request, _body, response) => json(response, 400, problem);
    const error = await client.orchestrate({ plan: { tasks: [{ id: 'a', capabilities: ['ghost'] }] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ ...problem, message: problem.detail, name: 'BadRequestError' });

    server.handler = (_request, _body, response) =>
      json(response, 503, { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'Redis is unreachable' }, { 'retry-after': '2' });
    const unavailable = await client.health().catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(ServiceUnavailableError);
    expect(unavailable).toBeInstanceOf(ServerError);
    expect(unavailable).toMatchObject({ status: 503, retryAfterS: 2, errors: [] });

    server.handler = (_request, _body, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    const gateway = await client.stats().catch((e: unknown) => e);
    expect(gateway).toBeInstanceOf(ServerError);
    expect(gateway).toMatchObject({ status: 502, type: 'about:blank', detail: '<h1>Bad gateway</h1>' });
  });

  it('throws a ConnectionError naming the URL when nothing answers', async () => {
    await server.stop();
    const error = await client.templates().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/orchestrator\/templates: /);
    await server.start();
  });

  it('follows the event stream across a dropped connection, resuming after the last event, with no gap and no repeat', async () => {
    const events = [
      sse(1, 'session', { status: 'running', at: 't' }),
      sse(2, 'task', { taskId: 'a', status: 'running', at: 't' }),
      sse(3, 'task', { taskId: 'a', status: 'completed', at: 't' }),
      sse(4, 'task', { taskId: 'b', status: 'running', at: 't' }),
      sse(5, 'session', { status: 'completed', at: 't', result: { ok: true } }),
    ];
    server.handler = (request, _body, response) => {
      const after = Number(request.headers['last-event-id'] ?? 0);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (after === 0) {
        // Two events, the third cut in the middle of a line, then the connection drops.
        response.write(`: keep-alive\n\n${events[0]}${events[1]}${events[2].slice(0, 12)}`);
        setTimeout(() => response.socket?.destroy(), 50);
      } else {
        for (const event of events.slice(after)) response.write(event.replaceAll('\n', '\r\n'));
        response.end();
      }
    };
    const seen: SessionEvent[] = [];
    for await (const event of client.sessions.events(SESSION, { reconnectDelayMs: 10 })) seen.push(event);
    expect(seen.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(seen[4]).toEqual({ id: '5', event: 'session', data: { status: 'completed', at: 't', result: { ok: true } } });
    const streams = server.requests.filter((r) => r.url.endsWith('/events'));
    expect(streams.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2']);
    expect(streams[0].headers).toMatchObject({ authorization: 'Bearer sy_test', accept: 'text/event-stream' });
  });

  it('ends when a resumed stream of a finished session brings nothing more', async () => {
    server.handler = (request, _body, response) => {
      if (request.url!.endsWith('/events')) response.writeHead(200, { 'content-type': 'text/event-stream' }).end();
      else json(response, 200, { sessionId: SESSION, status: 'completed' });
    };
    const seen: SessionEvent[] = [];
    for await (const event of client.sessions.events(SESSION, { lastEventId: '9', reconnectDelayMs: 10 })) seen.push(event);
    expect(seen).toEqual([]);
    expect(server.requests.map((r) => `${r.method} ${r.url} ${r.headers['last-event-id'] ?? ''}`)).toEqual([
      `GET /api/orchestrator/sessions/${SESSION}/events 9`,
      `GET /api/orchestrator/sessions/${SESSION} `,
    ]);
  });

  it('leaves deltas out with deltas: false (as wait does), keeping the log level', async () => {
    server.handler = (request, _body, response) => {
      if (request.url!.includes('/events'))
        response.writeHead(200, { 'content-type': 'text/event-stream' }).end(sse(1, 'session', { status: 'completed', at: 't' }));
      else json(response, 200, { sessionId: SESSION, status: 'running' });
    };
    for await (const event of client.sessions.events(SESSION, { logLevel: 'warn', deltas: false })) void event;
    await client.sessions.wait(SESSION);
    expect(server.requests.map((r) => r.url)).toEqual([
      `/api/orchestrator/sessions/${SESSION}/events?logLevel=warn&deltas=off`,
      `/api/orchestrator/sessions/${SESSION}`,
      `/api/orchestrator/sessions/${SESSION}/events?deltas=off`,
      `/api/orchestrator/sessions/${SESSION}`,
    ]);
  });

  it('does not retry a stream the API refuses with a 4xx', async () => {
    server.handler = (_request, _body, response) => json(response, 404, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'no session 0-x' });
    const consume = async () => {
      for await (const event of client.sessions.events(SESSION, { reconnectDelayMs: 10 })) void event;
    };
    await expect(consume()).rejects.toBeInstanceOf(NotFoundError);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxReconnects attempts in a row that bring no event', async () => {
    server.handler = (request, _body, response) => {
      if (request.url!.endsWith('/events')) response.writeHead(200, { 'content-type': 'text/event-stream' }).end();
      else json(response, 200, { sessionId: SESSION, status: 'running' });
    };
    const consume = async () => {
      for await (const event of client.sessions.events(SESSION, { reconnectDelayMs: 1, maxReconnects: 2 })) void event;
    };
    await expect(consume()).rejects.toThrow(/the event stream ended before the session did/);
    expect(server.requests.filter((r) => r.url.endsWith('/events'))).toHaveLength(3);
  });
});
