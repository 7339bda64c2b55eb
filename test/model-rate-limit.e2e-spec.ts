import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { runTsChild } from './support/child-node';
import { REDIS_URL } from './support/stack';

/** A loopback model server that records when each call arrived and from which process; `answer` decides its status. */
class CountingServer {
  readonly arrivals: { at: number; caller: string }[] = [];
  answer: (index: number) => number = () => 200;
  private readonly server: Server = createServer((request, response) => {
    if (request.url?.endsWith('?warm-up')) return void response.end('{}');
    const index = this.arrivals.push({ at: Date.now(), caller: String(request.headers['x-caller']) }) - 1;
    const status = this.answer(index);
    response.writeHead(status, status === 429 ? { 'retry-after': '1' } : {});
    response.end('{}');
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/chat/completions`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Two processes calling through the limiter at once (each its own Redis connection). */
async function twoCallers(url: string, prefix: string, model: string, calls: number, pauseMs: number, limits: unknown, windowMs: number) {
  const args = [url, prefix, model, String(calls), String(pauseMs), JSON.stringify(limits), String(windowMs)];
  const outputs = await Promise.all([
    runTsChild('test/support/rate-limit-caller.ts', args, {}, 60_000),
    runTsChild('test/support/rate-limit-caller.ts', args, {}, 60_000),
  ]);
  return outputs.map((out) => JSON.parse(out.trim().split('\n').at(-1)!) as { pid: number; limited: number });
}

/**
 * The shared model rate limiter (SWITCHYARD_MODEL_LIMITS) across processes: two of them hammer a
 * loopback server through acquire(), and the server never sees more calls in a window than the
 * limit; a 429's backOff() holds both.
 */
describe('the shared model rate limiter', () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const server = new CountingServer();
  let url: string;
  let redis: Redis;

  beforeAll(async () => {
    url = await server.start();
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await server.stop();
    const keys = await redis.keys(`{${prefix}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('lets no more calls reach the server in any window than rpm allows, however many processes call', async () => {
    const windowMs = 1000;
    const rpm = 8;
    server.arrivals.length = 0;
    const callers = await twoCallers(url, prefix, 'm-rpm', 12, 0, { 'm-rpm': { rpm } }, windowMs);
    const at = server.arrivals.map((a) => a.at).sort((a, b) => a - b);
    expect(at).toHaveLength(24);
    expect(new Set(server.arrivals.map((a) => a.caller)).size).toBe(2);
    // In every window (less a little for the way from acquire() to the server), at most rpm calls.
    const busiest = Math.max(...at.map((start) => at.filter((t) => t >= start && t < start + windowMs - 100).length));
    expect(busiest).toBeLessThanOrEqual(rpm);
    // 24 calls at 8 a window need at least two more windows after the first.
    expect(at[23] - at[0]).toBeGreaterThanOrEqual(2 * windowMs - 100);
    expect(callers.every((c) => c.limited === 0)).toBe(true);
  }, 60_000);

  it('counts the tokens of the calls against tpm (each call here is about 100 tokens)', async () => {
    const windowMs = 1000;
    server.arrivals.length = 0;
    await twoCallers(url, prefix, 'm-tpm', 6, 0, { '*': { tpm: 500 } }, windowMs);
    const at = server.arrivals.map((a) => a.at).sort((a, b) => a - b);
    expect(at).toHaveLength(12);
    const busiest = Math.max(...at.map((start) => at.filter((t) => t >= start && t < start + windowMs - 100).length));
    expect(busiest).toBeLessThanOrEqual(5);
    expect(at[11] - at[0]).toBeGreaterThanOrEqual(2 * windowMs - 100);
  }, 60_000);

  it("holds every process's calls for a 429's Retry-After once one of them backs off", async () => {
    server.arrivals.length = 0;
    server.answer = (index) => (index === 8 ? 429 : 200);
    try {
      const callers = await twoCallers(url, prefix, 'm-429', 15, 20, { '*': { rpm: 10_000 } }, 60_000);
      expect(callers.map((c) => c.limited).sort()).toEqual([0, 1]);
    } finally {
      server.answer = () => 200;
    }
    const refusedAt = server.arrivals[8].at;
    // A call the other process had already acquired may still arrive just after the 429.
    const during = server.arrivals.filter((a) => a.at > refusedAt + 150 && a.at < refusedAt + 900);
    expect(during).toEqual([]);
    const after = server.arrivals.filter((a) => a.at >= refusedAt + 900);
    expect(new Set(after.map((a) => a.caller)).size).toBe(2);
    expect(server.arrivals).toHaveLength(31);
  }, 60_000);
});
