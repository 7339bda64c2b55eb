import { connect, Socket } from 'node:net';
import { TEST_KEYS } from './support/api-keys';
import { Stack } from './support/stack';

const ORCHESTRATE = '/api/orchestrator/orchestrate';
const BODY_TIMEOUT_MS = 500;

/** What came back on a raw connection: the bytes, when the first arrived, and whether and when the server closed it. */
interface RawExchange {
  text: string;
  firstByteMs?: number;
  closedMs?: number;
}

/**
 * Opens a TCP connection, writes `head` and then each of `chunks` `everyMs` apart (while the
 * connection is open), and collects the answer until the server closes the connection or
 * `giveUpMs` passes (then the test's client closes it).
 */
function exchange(port: number, head: string, chunks: string[], everyMs: number, giveUpMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const result: RawExchange = { text: '' };
    const socket: Socket = connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (data) => {
      result.firstByteMs ??= Date.now() - started;
      result.text += data.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      if (Date.now() - started < giveUpMs) result.closedMs = Date.now() - started;
      resolve(result);
    });
    socket.on('connect', () => {
      socket.write(head);
      const next = (i: number) => {
        if (i >= chunks.length || socket.destroyed) return;
        socket.write(chunks[i]);
        timer = setTimeout(() => next(i + 1), everyMs);
      };
      next(0);
    });
  });
}

const head = (headers: Record<string, string>) =>
  `POST ${ORCHESTRATE} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

/** The status, headers (lower-cased names) and body of an HTTP/1.1 answer. */
function parse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [top, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = top.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

describe('request bodies: authenticated on the headers first, and read within SWITCHYARD_BODY_TIMEOUT_MS', () => {
  let stack: Stack;
  let port: number;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { SWITCHYARD_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS), SWITCHYARD_RATE_LIMIT: '0' } });
    port = Number(new URL(stack.baseUrl).port);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { authorization: 'Bearer sy_not-a-key' }],
  ])('refuses a body with %s at once (401, Connection: close), without waiting for it', async (_, key: Record<string, string>) => {
    for (const framing of [{ 'content-length': '1000' }, { 'transfer-encoding': 'chunked' }] as Record<string, string>[]) {
      const partial = 'transfer-encoding' in framing ? '9\r\n{"goal":"' : '{"goal":"';
      const answer = await exchange(port, head({ ...key, ...framing }), [partial], 100, 5000);
      expect(answer.firstByteMs).toBeLessThan(1000);
      expect(answer.closedMs).toBeLessThan(1000);
      const { status, headers, body } = parse(answer.text);
      expect(status).toBe(401);
      expect(headers['content-type']).toContain('application/problem+json');
      expect(headers.connection).toBe('close');
      expect(JSON.parse(body)).toMatchObject({ status: 401, detail: expect.stringContaining('API key') });
    }
  });

  it('answers 408 and closes the connection when a body with a valid key trickles in slower than the timeout', async () => {
    const body = JSON.stringify({ goal: 'a goal sent one byte at a time' });
    const answer = await exchange(
      port,
      head({ authorization: `Bearer ${TEST_KEYS.operator.key}`, 'content-length': String(body.length) }),
      [...body],
      100,
      10_000,
    );
    expect(answer.firstByteMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
    expect(answer.firstByteMs).toBeLessThan(BODY_TIMEOUT_MS + 2000);
    expect(answer.closedMs).toBeDefined();
    const { status, headers, body: problem } = parse(answer.text);
    expect(status).toBe(408);
    expect(headers['content-type']).toContain('application/problem+json');
    expect(headers.connection).toBe('close');
    expect(JSON.parse(problem)).toMatchObject({ status: 408, detail: expect.stringContaining(`${BODY_TIMEOUT_MS} ms`) });
    // The API is none the worse for it.
    expect((await stack.request('GET', '/api/orchestrator/templates')).status).toBe(200);
    expect(stack.api.lines.filter((line) => line.includes('"level":50'))).toEqual([]);
  });

  it('reads a body with a valid key that arrives in time, and a body-less request needs no key before the route says so', async () => {
    const plan = { plan: { tasks: [{ id: 'a', capabilities: ['data_analysis'] }] } };
    const body = JSON.stringify(plan);
    const half = Math.floor(body.length / 2);
    const answer = await exchange(
      port,
      head({ authorization: `Bearer ${TEST_KEYS.operator.key}`, 'content-length': String(body.length), connection: 'close' }),
      [body.slice(0, half), body.slice(half)],
      100,
      10_000,
    );
    expect(parse(answer.text).status).toBe(202);
    // Health probes carry no key and no body: they pass the gate.
    expect((await stack.request('GET', '/api/orchestrator/health/live', undefined, undefined, { authorization: '' })).status).toBe(200);
  });
});
