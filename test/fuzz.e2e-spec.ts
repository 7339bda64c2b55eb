import fc from 'fast-check';
import { authHeader } from './support/api-keys';
import { Stack } from './support/stack';

interface Operation {
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
}
interface Route {
  method: string;
  path: string;
  operation: Operation;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const RUNS = 2000;

/** A path parameter in a well-formed shape that names nothing (so the route answers 404, not 400). */
const unknownParam = (name: string) => (name === 'id' ? '0-00000000-0000-4000-8000-000000000000' : 'fuzz-unknown');

/** A malformed request built from one route of the document, and why it is malformed. */
type Malformed = { method: string; path: string; headers: Record<string, string>; body?: string; kind: string };

/** `{"a":{"a":...}}` or `[[...]]`, `levels` deep, as JSON text. */
const deepJson = (levels: number, array: boolean) => (array ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels));

/** A stream id Redis cannot range from: a part beyond 64 bits, or the last id there can be. */
const notAStreamId = fc.oneof(
  fc.constantFrom('99999999999999999999-0', '0-99999999999999999999', '18446744073709551616-0', '18446744073709551615-18446744073709551615'),
  fc.tuple(fc.bigInt({ min: 2n ** 64n, max: 10n ** 20n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([ms, seq]) => `${ms}-${seq}`),
);

function malformedFor(routes: Route[], sessionId: string): fc.Arbitrary<Malformed> {
  const route = fc.constantFrom(...routes);
  // Strings that are not ids: Redis key syntax, separators, control and non-ASCII characters, huge.
  const notAnId = fc.oneof(
    fc.constantFrom('*', 'a:b', '{sy-0}', '..', '%2F', 'a b', '0-*', '?', '\\', "'", '"', '\u0000', 'é', 'x'.repeat(300)),
    fc.string({ minLength: 1, maxLength: 80 }).map((s) => `${s}*`),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !/^[A-Za-z0-9._-]+$/.test(s)),
  );
  const fill = (path: string, mutate?: { name: string; value: string }) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(mutate?.name === name ? mutate.value : unknownParam(name)));
  const json = { 'content-type': 'application/json' };

  const badParam = route
    .filter((r) => /\{\w+\}/.test(r.path))
    .chain((r) =>
      fc.record({ name: fc.constantFrom(...[...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])), value: notAnId }).map((mutate) => ({
        method: r.method,
        path: fill(r.path, mutate),
        headers: r.operation.requestBody ? json : {},
        body: r.operation.requestBody ? '{}' : undefined,
        kind: `bad ${mutate.name}`,
      })),
    );
  const withBody = routes.filter((r) => r.operation.requestBody);
  const badBody = fc.constantFrom(...withBody).chain((r) =>
    fc
      .oneof(
        // Not JSON at all.
        fc
          .string({ maxLength: 60 })
          .filter((s) => {
            try {
              JSON.parse(s);
              return false;
            } catch {
              return true;
            }
          })
          .map((body) => ({ body, kind: 'not JSON' })),
        // JSON, but not an object.
        fc
          .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 5 }))
          .map((v) => ({ body: JSON.stringify(v), kind: 'not an object' })),
        // An object with a field no schema has (every body schema is strict), besides random others.
        fc
          .tuple(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), fc.string({ minLength: 1, maxLength: 12 }))
          .map(([fields, name]) => ({ body: JSON.stringify({ ...fields, [`__fuzz_${name}`]: 1 }), kind: 'unknown field' })),
        // Larger than the body limit.
        fc.constant({ body: JSON.stringify({ goal: 'x'.repeat(1_100_000) }), kind: 'too large' }),
        // Nested deeper than SWITCHYARD_MAX_JSON_DEPTH, up to far deeper than recursion can go.
        fc.tuple(fc.integer({ min: 65, max: 5000 }), fc.boolean()).map(([levels, array]) => ({ body: deepJson(levels, array), kind: 'deep JSON' })),
      )
      .map(({ body, kind }) => ({ method: r.method, path: fill(r.path), headers: json, body, kind })),
  );
  // A JSON body in a charset other than UTF-8, or under a Content-Encoding it is not encoded with (or one not supported).
  const badEncoding = fc.constantFrom(...withBody).chain((r) =>
    fc
      .oneof(
        fc
          .constantFrom('latin1', 'iso-8859-1', 'koi8-r', 'windows-1252', 'x')
          .map((charset) => ({ headers: { 'content-type': `application/json; charset=${charset}` }, kind: 'bad charset' })),
        fc
          .constantFrom('gzip', 'deflate', 'br', 'compress', 'x-bogus')
          .map((encoding) => ({ headers: { ...json, 'content-encoding': encoding }, kind: 'bad Content-Encoding' })),
      )
      .map(({ headers, kind }) => ({ method: r.method, path: fill(r.path), headers, body: '{"goal":"x"}', kind })),
  );
  const wrongMethod = route.chain((r) => {
    const taken = new Set(routes.filter((o) => o.path === r.path).map((o) => o.method));
    const others = METHODS.filter((m) => !taken.has(m));
    return fc.constantFrom(...others).map((method) => ({ method, path: fill(r.path), headers: {}, kind: 'wrong method' }));
  });
  const badHeader = fc.oneof(
    notAnId
      .filter((s) => /^[\x20-\xff]*$/.test(s) && !/^[\x21-\x7e]{1,255}$/.test(s.trim()))
      .map((key) => ({
        method: 'POST',
        path: '/api/orchestrator/orchestrate',
        headers: { ...json, 'idempotency-key': key },
        body: JSON.stringify({ goal: 'fuzz' }),
        kind: 'bad Idempotency-Key',
      })),
    fc
      .string({ maxLength: 30 })
      .filter((s) => /^[\x20-\x7e]*$/.test(s) && !/^\d+-\d+$/.test(s.trim()))
      .map((id) => ({
        method: 'GET',
        path: `/api/orchestrator/sessions/${unknownParam('id')}/events`,
        headers: { 'last-event-id': id },
        kind: 'bad Last-Event-ID',
      })),
    // Of a session that exists: well-formed, but beyond what Redis can range from.
    fc.tuple(notAStreamId, fc.boolean()).map(([id, composite]) => ({
      method: 'GET',
      path: `/api/orchestrator/sessions/${sessionId}/events`,
      headers: { 'last-event-id': composite ? `1-0_${id}` : id },
      kind: 'bad Last-Event-ID',
    })),
  );
  const badCursor = fc.tuple(notAStreamId, fc.constantFrom('asc', 'desc')).map(([cursor, order]) => ({
    method: 'GET',
    path: `/api/orchestrator/sessions/${sessionId}/logs?${new URLSearchParams({ cursor, order })}`,
    headers: {},
    kind: 'bad cursor',
  }));
  // A query parameter the route does not take (every route refuses those, with or without others).
  const unknownQuery = fc
    .tuple(route, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 }))
    .map(([r, name, value]) => ({
      method: r.method,
      path: `${fill(r.path)}?${new URLSearchParams({ [`fuzz_${name}`]: value })}`,
      headers: r.operation.requestBody ? json : {},
      body: r.operation.requestBody ? '{}' : undefined,
      kind: 'unknown query parameter',
    }));
  return fc.oneof(badParam, badBody, badEncoding, wrongMethod, badHeader, badCursor, unknownQuery);
}

describe('fuzzing the API with malformed requests', () => {
  let stack: Stack;
  /** A finished session: the routes that read one get past their 404 to what is malformed. */
  let sessionId: string;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'research', capabilities: ['web_research'] }] } });
    expect(accepted.status).toBe(202);
    sessionId = accepted.body.sessionId;
    expect((await stack.waitForSession(sessionId)).status).toBe('completed');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it(`answers each of ${RUNS} malformed requests with a 4xx problem, and stores nothing of them`, async () => {
    const document = (await stack.request('GET', '/docs-json')).body as { paths: Record<string, Record<string, Operation>> };
    const routes: Route[] = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
    );
    const keysBefore = (await stack.keys()).sort();

    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedFor(routes, sessionId), async (request) => {
        seen.set(request.kind, (seen.get(request.kind) ?? 0) + 1);
        const response = await fetch(`${stack.baseUrl}${request.path}`, {
          // As an admin: past authentication, so that validation itself is what answers.
          method: request.method,
          headers: { ...authHeader('admin'), ...request.headers },
          body: request.body,
          signal: AbortSignal.timeout(5_000),
        });
        const text = await response.text();
        const answer = { kind: request.kind, method: request.method, path: request.path.slice(0, 120), status: response.status };
        const clientError = response.status >= 400 && response.status < 500;
        expect({ ...answer, clientError }).toEqual({ ...answer, clientError: true });
        expect([answer, response.headers.get('content-type')]).toEqual([answer, expect.stringContaining('application/problem+json')]);
        expect(JSON.parse(text)).toMatchObject({ status: response.status, detail: expect.any(String) });
      }),
      { numRuns: RUNS },
    );

    // Every kind of malformation was tried, and none left a key in Redis.
    expect([...seen.keys()].sort()).toEqual(
      expect.arrayContaining([
        'bad id',
        'not JSON',
        'not an object',
        'unknown field',
        'too large',
        'wrong method',
        'bad Idempotency-Key',
        'bad Last-Event-ID',
        'unknown query parameter',
        'deep JSON',
        'bad charset',
        'bad Content-Encoding',
        'bad cursor',
      ]),
    );
    expect((await stack.keys()).sort()).toEqual(keysBefore);
  });
});
