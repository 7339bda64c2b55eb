import { authHeader } from './support/api-keys';
import { Stack } from './support/stack';

const ORCHESTRATE = '/api/orchestrator/orchestrate';

/** `{ a: { a: ... { a: leaf } } }`, `levels` objects deep. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** A task whose children nest `levels` deep (the task itself counting as the first). */
function childChain(levels: number): Record<string, unknown> {
  let task: Record<string, unknown> = { id: `t${levels}`, capabilities: ['web_research'] };
  for (let i = levels - 1; i >= 1; i--) task = { id: `t${i}`, capabilities: ['web_research'], children: [task] };
  return task;
}

/** One request with a raw body and headers of the test's choosing (the admin's key unless `key` is false). */
async function send(stack: Stack, method: string, path: string, options: { body?: string; headers?: Record<string, string>; key?: boolean } = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { ...(options.key === false ? {} : authHeader()), ...options.headers },
    body: options.body,
    // Short: an event stream that opens instead of refusing would otherwise hold the test.
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

describe('bad input gets a 4xx problem that names it, never a 500', () => {
  let stack: Stack;
  let sessionId: string;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    const accepted = await stack.request('POST', ORCHESTRATE, { plan: { tasks: [{ id: 'research', capabilities: ['web_research'] }] } });
    expect(accepted.status).toBe(202);
    sessionId = accepted.body.sessionId;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('deep JSON', () => {
    it('refuses a body nested deeper than SWITCHYARD_MAX_JSON_DEPTH (64) anywhere, naming the limit and where it went over', async () => {
      const bodies: [string, unknown, string][] = [
        ['plan input', { plan: { tasks: [{ id: 'a', capabilities: ['web_research'], input: nested(3000) }] } }, 'plan.tasks[0].input.a.a'],
        ['goal context', { goal: 'deep', context: nested(3000) }, 'context.a.a'],
        ['template params', { template: { name: 'research-report', params: { topic: 'x', deep: nested(3000) } } }, 'template.params.deep.a'],
        ['plan children', { plan: { tasks: [childChain(800)] } }, 'plan.tasks[0].children[0].children[0]'],
        ['just over the limit', { goal: 'deep', context: nested(64) }, 'context.a'],
      ];
      for (const [what, body, path] of bodies) {
        const answer = await stack.request('POST', ORCHESTRATE, body);
        expect([what, answer.status, answer.contentType]).toEqual([what, 400, expect.stringContaining('application/problem+json')]);
        expect([what, answer.body.detail]).toEqual([what, expect.stringContaining('64')]);
        expect([what, answer.body.errors[0].path]).toEqual([what, expect.stringContaining(path)]);
        expect([what, answer.body.errors[0].message]).toEqual([what, expect.stringContaining('SWITCHYARD_MAX_JSON_DEPTH')]);
      }
      // At the limit, the body gets through to the schema.
      expect((await stack.request('POST', ORCHESTRATE, { goal: 'deep enough', context: nested(63) })).status).toBe(202);

      const patch = await stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, nested(3000));
      expect(patch.status).toBe(400);
      expect(patch.body.errors[0].path).toMatch(/^a\.a\./);
    });

    it("answers a chain of children within the JSON depth limit with the plan validator's 400", async () => {
      const answer = await stack.request('POST', ORCHESTRATE, { plan: { tasks: [childChain(25)] } });
      expect(answer.status).toBe(400);
      expect(answer.body.detail).toContain('the limit is 16');
    });
  });

  describe('other shapes that answered 500', () => {
    it('answers a JSON body in a charset other than UTF-8 with 415, and without a key with a 4xx problem too', async () => {
      const body = '{"goal":"x"}';
      const headers = { 'content-type': 'application/json; charset=latin1' };
      const answer = await send(stack, 'POST', ORCHESTRATE, { body, headers });
      expect(answer.status).toBe(415);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: 415, detail: expect.stringContaining('LATIN1') });
      // Without a key: refused for the charset or for the missing key, whichever is checked first.
      const anonymous = await send(stack, 'POST', ORCHESTRATE, { key: false, body, headers });
      expect([401, 415]).toContain(anonymous.status);
      expect(anonymous.contentType).toContain('application/problem+json');
    });

    it('answers a body that does not match its Content-Encoding with 400, and an unknown encoding with 415', async () => {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const answer = await send(stack, 'POST', ORCHESTRATE, {
          body: '{"goal":"x"}',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        });
        expect([encoding, answer.status, answer.contentType]).toEqual([encoding, 400, expect.stringContaining('application/problem+json')]);
        expect([encoding, answer.body.detail]).toEqual([encoding, expect.stringContaining('Content-Encoding')]);
      }
      const unknown = await send(stack, 'POST', ORCHESTRATE, {
        body: '{"goal":"x"}',
        headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      });
      expect(unknown.status).toBe(415);
      expect(unknown.body.detail).toContain('compress');
    });

    it("answers a log cursor beyond Redis' stream ids with 400 naming cursor", async () => {
      for (const cursor of ['99999999999999999999-0', '0-99999999999999999999', '18446744073709551615-18446744073709551615']) {
        const answer = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?cursor=${cursor}`);
        expect([cursor, answer.status]).toEqual([cursor, 400]);
        expect(answer.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
      }
      // The first id there can be, newest first: nothing comes before it.
      const first = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?cursor=0-0&order=desc`);
      expect(first.status).toBe(200);
      expect(first.body.entries).toEqual([]);
      // The largest id there can be still works as a cursor newest first.
      expect((await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?cursor=18446744073709551615-0&order=desc`)).status).toBe(200);
    });

    it("answers a Last-Event-ID beyond Redis' stream ids with 400 naming it, before any event-stream header", async () => {
      for (const id of ['99999999999999999999-0', '1-0_99999999999999999999-0', '18446744073709551615-18446744073709551615']) {
        const answer = await send(stack, 'GET', `/api/orchestrator/sessions/${sessionId}/events`, { headers: { 'last-event-id': id } });
        expect([id, answer.status, answer.contentType]).toEqual([id, 400, expect.stringContaining('application/problem+json')]);
        expect(answer.body.errors).toEqual([{ path: 'Last-Event-ID', message: expect.any(String) }]);
      }
    });
  });

  describe('unknown parameters and lists', () => {
    it('refuses unknown query parameters on the log, export and event routes, naming them', async () => {
      const base = `/api/orchestrator/sessions/${sessionId}`;
      for (const path of [`${base}/logs?foo=1`, `${base}/logs/export?limit=1`, `${base}/events?foo=1`, `${base}/logs?limit=5&foo=1`]) {
        const name = path.includes('foo') ? 'foo' : 'limit';
        const answer = await send(stack, 'GET', path);
        expect([path, answer.status]).toEqual([path, 400]);
        expect([path, answer.body.errors]).toEqual([
          path,
          [{ path: `query.${name}`, message: expect.stringContaining('is not a query parameter of this route') }],
        ]);
      }
    });

    it('refuses a field in the body of a route that takes none, naming it', async () => {
      const answer = await stack.request('POST', '/api/orchestrator/initialize', { x: 1 });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ path: 'body.x', message: expect.stringContaining('takes no body') }]);
      const notObject = await stack.request('POST', '/api/orchestrator/initialize', [1]);
      expect(notObject.status).toBe(400);
      expect(notObject.body.errors).toEqual([{ path: '(body)', message: expect.stringContaining('takes no body') }]);
      // Nothing, or an empty object, is no body.
      expect((await stack.request('POST', '/api/orchestrator/initialize')).status).toBe(200);
      expect((await stack.request('POST', '/api/orchestrator/initialize', {})).status).toBe(200);
    });

    it('refuses an unknown query parameter on every route of the OpenAPI document, naming it', async () => {
      const document = (await stack.request('GET', '/docs-json')).body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
      const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
      );
      expect(routes.length).toBeGreaterThan(20);
      const failures: string[] = [];
      for (const { method, path, operation } of routes) {
        const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' && path.includes('/sessions/') ? sessionId : 'unknown-x'));
        const answer = await send(
          stack,
          method,
          `${filled}?fuzz_param=1`,
          operation.requestBody ? { body: '{}', headers: { 'content-type': 'application/json' } } : {},
        ).catch((error: Error) => ({ status: 0, body: { error: error.name } }) as { status: number; body: any });
        const named = answer.body?.errors?.some((e: { path: string }) => e.path === 'query.fuzz_param');
        if (answer.status !== 400 || !named) failures.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
    });

    it('refuses a task listing a capability twice, naming the task and the capability, and more than 32 capabilities', async () => {
      const duplicates = await stack.request('POST', ORCHESTRATE, {
        plan: {
          tasks: [
            { id: 'research', capabilities: ['web_research'] },
            { id: 'dupes', capabilities: Array.from({ length: 60_000 }, () => 'web_research') },
          ],
        },
      });
      expect(duplicates.status).toBe(400);
      expect(duplicates.body.detail).toContain('dupes');
      expect(duplicates.body.detail).toContain('web_research');

      const twice = await stack.request('POST', ORCHESTRATE, {
        plan: { tasks: [{ id: 'twice', capabilities: ['web_research', 'code_review', 'web_research'] }] },
      });
      expect(twice.status).toBe(400);
      expect(twice.body.errors).toEqual([{ path: 'plan.tasks[0].capabilities[2]', message: expect.stringMatching(/task "twice".*"web_research" twice/) }]);

      const many = await stack.request('POST', ORCHESTRATE, {
        plan: { tasks: [{ id: 'many', capabilities: Array.from({ length: 33 }, (_, i) => `cap_${i}`) }] },
      });
      expect(many.status).toBe(400);
      expect(many.body.errors).toEqual([expect.objectContaining({ path: 'plan.tasks[0].capabilities', message: expect.stringContaining('32') })]);
    });

    it('refuses an agent registration or selection listing a capability twice', async () => {
      const registration = await stack.request('POST', '/api/orchestrator/agents', {
        name: 'dupe',
        type: 'dupe',
        kind: 'specialised',
        permission: 'full',
        capabilities: ['web_research', 'web_research'],
      });
      expect(registration.status).toBe(400);
      expect(registration.body.errors).toEqual([{ path: 'capabilities[1]', message: expect.stringContaining('"web_research" twice') }]);
      const selection = await stack.request('POST', '/api/orchestrator/agents/select', { capabilities: ['web_research', 'web_research'] });
      expect(selection.status).toBe(400);
      expect(selection.body.errors).toEqual([{ path: 'capabilities[1]', message: expect.stringContaining('"web_research" twice') }]);
    });

    it('takes a context patch as application/merge-patch+json, and says so in the OpenAPI document', async () => {
      const answer = await send(stack, 'PATCH', `/api/orchestrator/sessions/${sessionId}/context`, {
        body: JSON.stringify({ tone: 'plain' }),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ tone: 'plain' });
      const document = (await stack.request('GET', '/docs-json')).body;
      expect(Object.keys(document.paths['/api/orchestrator/sessions/{id}/context'].patch.requestBody.content)).toEqual(
        expect.arrayContaining(['application/json', 'application/merge-patch+json']),
      );
    });
  });
});
