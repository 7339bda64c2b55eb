import { authHeader, TEST_API_KEYS_ENV } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { freePort } from './support/ports';
import { Stack } from './support/stack';

const TEMPLATES = '/api/orchestrator/templates';

describe('HTTP safety: rate limits across replicas, security headers, CORS', () => {
  let stack: Stack;
  let replica: AppProcess | undefined;

  beforeAll(async () => {
    stack = await Stack.start({
      workers: 0,
      env: { SWITCHYARD_RATE_LIMIT: '6', SWITCHYARD_RATE_WINDOW_MS: '60000', SWITCHYARD_CORS_ORIGINS: 'https://app.example.com' },
    });
  });

  afterAll(async () => {
    await replica?.stop();
    await stack?.stop();
  });

  it("counts one key's requests over every API replica, then answers 429 with Retry-After", async () => {
    const port = await freePort();
    replica = new AppProcess('api', {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      SWITCHYARD_PREFIX: stack.prefix,
      PORT: String(port),
      SWITCHYARD_RATE_LIMIT: '6',
      SWITCHYARD_RATE_WINDOW_MS: '60000',
      SWITCHYARD_API_KEYS: TEST_API_KEYS_ENV,
    });
    await replica.waitForLog('api listening');
    const other = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, { headers: authHeader(), signal: AbortSignal.timeout(10_000) });

    // One key, three requests through each replica: all within the limit of six.
    for (let i = 0; i < 3; i++) {
      expect((await stack.request('GET', TEMPLATES)).status).toBe(200);
      expect((await other(TEMPLATES)).status).toBe(200);
    }
    const limited = await other(TEMPLATES);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ status: 429, detail: expect.stringContaining('at most 6 per 60000 ms') });
    expect((await stack.request('GET', TEMPLATES)).status).toBe(429);
    // The limit is per key: another key of the same client still gets through.
    expect((await stack.request('GET', TEMPLATES, undefined, undefined, authHeader('viewer'))).status).toBe(200);

    // Probes are never limited.
    expect((await stack.request('GET', '/api/orchestrator/health/live')).status).toBe(200);
  });

  it('refuses a query parameter the route does not take, naming it', async () => {
    const answer = await stack.request('GET', '/api/orchestrator/health/live?verbose=1');
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ path: 'query.verbose', message: 'is not a query parameter of this route; it takes none' }]);
  });

  it('sends security headers, and CORS only for the configured origins', async () => {
    const answer = await fetch(`${stack.baseUrl}/api/orchestrator/health/live`, { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    const stranger = await fetch(`${stack.baseUrl}/api/orchestrator/health/live`, { headers: { origin: 'https://evil.example.net' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();

    // The replica has no SWITCHYARD_CORS_ORIGINS: CORS is off there.
    const port = Number(/"port":(\d+)/.exec(await replica!.waitForLog('api listening'))?.[1]);
    const off = await fetch(`http://127.0.0.1:${port}/api/orchestrator/health/live`, { headers: { origin: 'https://app.example.com' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();

    // Swagger UI's page runs inline scripts: it goes without a CSP, but keeps the other headers.
    const docs = await fetch(`${stack.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toBeNull();
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
