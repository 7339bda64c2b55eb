import { authHeader, TestKey } from './support/api-keys';
import { Stack } from './support/stack';

const TEMPLATES = '/api/orchestrator/templates';

describe('rate limits per tenant, across all its keys', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      workers: 0,
      env: { SWITCHYARD_RATE_LIMIT: '1000', SWITCHYARD_TENANT_RATE_LIMIT: '6', SWITCHYARD_RATE_WINDOW_MS: '60000' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const get = (key: TestKey) => stack.request('GET', TEMPLATES, undefined, undefined, authHeader(key));

  it("stops globex's two keys together at the tenant limit (429 naming it, with Retry-After) while acme's keys go on", async () => {
    // Three requests through each of globex's keys: six, the tenant's limit.
    for (let i = 0; i < 3; i++) {
      expect((await get('otherOperator')).status).toBe(200);
      expect((await get('otherViewer')).status).toBe(200);
    }
    for (const key of ['otherOperator', 'otherViewer'] as const) {
      const limited = await get(key);
      expect(limited.status).toBe(429);
      expect(limited.contentType).toContain('application/problem+json');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.body).toMatchObject({ status: 429, detail: expect.stringContaining('tenant "globex"') });
      expect(limited.body.detail).toContain('at most 6 per 60000 ms per tenant');
    }
    // Acme's keys count on acme's own budget: two each through its three keys, all answered.
    for (const key of ['admin', 'operator', 'viewer'] as const) {
      for (let i = 0; i < 2; i++) expect((await get(key)).status).toBe(200);
    }
    // Probes are never limited, whatever key they carry.
    expect((await stack.request('GET', '/api/orchestrator/health/live', undefined, undefined, authHeader('otherViewer'))).status).toBe(200);
  });
});
