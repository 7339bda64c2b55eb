import { createHash } from 'node:crypto';
import { authHeader, TEST_API_KEYS_ENV, TestKey } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { freePort } from './support/ports';
import { readEvents } from './support/sse-client';
import { REDIS_URL, Stack } from './support/stack';
import { until } from './support/until';

const API = '/api/orchestrator';
const plan = {
  tasks: [
    { id: 'a', capabilities: ['data_analysis'] },
    { id: 'b', capabilities: ['data_analysis'], dependsOn: ['a'] },
  ],
};

describe("stream tokens: a browser's EventSource reads one session's events without an API key", () => {
  let stack: Stack;
  /** A second API replica on the same deployment, whose tokens last one second. */
  let replica: AppProcess;
  let replicaUrl: string;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    const port = await freePort();
    replicaUrl = `http://127.0.0.1:${port}`;
    replica = new AppProcess('api', {
      REDIS_URL,
      SWITCHYARD_PREFIX: stack.prefix,
      PORT: String(port),
      SWITCHYARD_API_KEYS: TEST_API_KEYS_ENV,
      SWITCHYARD_RATE_LIMIT: '0',
      SWITCHYARD_STREAM_TOKEN_TTL_S: '1',
    });
    await replica.waitForLog('api listening');
  });

  afterAll(async () => {
    await replica?.stop();
    await stack?.stop();
  });

  const startSession = async () => {
    const accepted = await stack.request('POST', `${API}/orchestrate`, { plan }, undefined, authHeader('operator'));
    expect(accepted.status).toBe(202);
    return accepted.body.sessionId as string;
  };
  /** Every token the API gave out in these tests: none may ever appear in a process log. */
  const issued: string[] = [];
  const tokenFor = async (sessionId: string, as: TestKey = 'viewer', baseUrl = stack.baseUrl) => {
    const response = await fetch(`${baseUrl}${API}/sessions/${sessionId}/events/token`, {
      method: 'POST',
      headers: authHeader(as),
      signal: AbortSignal.timeout(10_000),
    });
    const body: any = await response.json();
    if (typeof body.token === 'string') issued.push(body.token);
    return { status: response.status, body };
  };
  /** A request with no key at all, as a browser's EventSource sends it. */
  const bare = async (method: string, path: string, baseUrl = stack.baseUrl) => {
    const response = await fetch(`${baseUrl}${path}`, { method, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
  };
  const tokenKeys = async () => (await stack.keys()).filter((key) => key.includes('stream-token'));

  it('grants a viewer a token that streams the session to its end with no key, on any replica, and stores only its digest', async () => {
    const sessionId = await startSession();
    const before = Date.now();
    const answer = await tokenFor(sessionId);
    expect(answer.status).toBe(201);
    const grant = answer.body;
    expect(grant).toEqual({
      token: expect.stringMatching(/^syst_[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
      url: `${API}/sessions/${sessionId}/events?token=${grant.token}`,
    });
    const expiresIn = Date.parse(grant.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(290_000);
    expect(expiresIn).toBeLessThanOrEqual(301_000);

    const { status, events } = await readEvents(`${stack.baseUrl}${grant.url}`, { withoutKey: true });
    expect(status).toBe(200);
    expect(events[events.length - 1]).toMatchObject({ event: 'session', data: { status: 'completed' } });
    // Another replica accepts it too: tokens live in Redis, not in one process.
    const elsewhere = await readEvents(`${replicaUrl}${grant.url}`, { withoutKey: true });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.events).toEqual(events);
    // A key still works on the events route.
    expect((await readEvents(`${stack.baseUrl}${API}/sessions/${sessionId}/events`, { headers: authHeader('viewer') })).status).toBe(200);

    // Redis holds the token's SHA-256, never the token.
    const digest = createHash('sha256').update(grant.token).digest('hex');
    const stored = await tokenKeys();
    expect(stored.some((key) => key.includes(digest))).toBe(true);
    for (const key of stored) {
      expect(key).not.toContain(grant.token);
      expect(await stack.redis.get(key)).not.toContain(grant.token);
    }
  });

  it('refuses the token (401) for another session and on every other route, with or without a key beside it', async () => {
    const [sessionId, otherId] = [await startSession(), await startSession()];
    const { token } = (await tokenFor(sessionId)).body;
    await stack.waitForSession(sessionId);

    const other = await bare('GET', `${API}/sessions/${otherId}/events?token=${token}`);
    expect(other).toMatchObject({
      status: 401,
      contentType: expect.stringContaining('application/problem+json'),
      body: { detail: expect.stringContaining('another session') },
    });
    for (const [method, path] of [
      ['GET', `${API}/sessions/${sessionId}`],
      ['GET', `${API}/sessions/${sessionId}/state`],
      ['GET', `${API}/sessions/${sessionId}/logs`],
      ['DELETE', `${API}/sessions/${sessionId}`],
      ['POST', `${API}/sessions/${sessionId}/events/token`],
      ['GET', `${API}/templates`],
    ]) {
      const refused = await bare(method, `${path}?token=${token}`);
      expect({ method, path, status: refused.status }).toEqual({ method, path, status: 401 });
      expect(refused.body.detail).toContain('only on the events route of its session');
    }
    // A key beside it does not make it pass.
    const withKey = await stack.request('GET', `${API}/sessions/${sessionId}?token=${token}`, undefined, undefined, authHeader('viewer'));
    expect(withKey.status).toBe(401);
  });

  it('refuses a malformed or unknown token (401), and an expired one once its time is up', async () => {
    const sessionId = await startSession();
    for (const garbage of ['garbage', `syst_${'A'.repeat(43)}`, '']) {
      const refused = await bare('GET', `${API}/sessions/${sessionId}/events?token=${encodeURIComponent(garbage)}`);
      expect({ garbage, status: refused.status }).toEqual({ garbage, status: 401 });
      expect(refused.contentType).toContain('application/problem+json');
    }
    const twice = await bare('GET', `${API}/sessions/${sessionId}/events?token=a&token=b`);
    expect(twice.status).toBe(401);

    // The replica gives one-second tokens; the main API refuses one once Redis has let it go.
    const answer = await tokenFor(sessionId, 'viewer', replicaUrl);
    expect(answer.status).toBe(201);
    const { token, expiresAt } = answer.body;
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    const digest = createHash('sha256').update(token).digest('hex');
    expect((await tokenKeys()).some((key) => key.includes(digest))).toBe(true);
    await until('the token to expire', async () => ((await tokenKeys()).some((key) => key.includes(digest)) ? undefined : true), 10_000);
    const expired = await bare('GET', `${API}/sessions/${sessionId}/events?token=${token}`);
    expect(expired).toMatchObject({ status: 401, body: { detail: expect.stringContaining('expired') } });
  });

  it("answers another tenant's session exactly as a missing one (404), and gives it no token", async () => {
    const sessionId = await startSession();
    const missingId = '0-00000000-0000-4000-8000-000000000000';
    const before = await tokenKeys();
    const foreign = await tokenFor(sessionId, 'otherViewer');
    const missing = await tokenFor(missingId, 'otherViewer');
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const named = (body: { detail: string }, id: string) => ({ ...body, detail: body.detail.replace(id, '<id>') });
    expect(named(foreign.body, sessionId)).toEqual(named(missing.body, missingId));
    expect(foreign.body.detail).toContain(sessionId);
    expect((await tokenKeys()).filter((key) => !before.includes(key))).toEqual([]);
    // An admin of the platform may watch any tenant's session; a malformed id is a 400.
    expect((await tokenFor(sessionId, 'admin')).status).toBe(201);
    expect((await tokenFor('not-a-session', 'viewer')).status).toBe(400);
  });

  it("never writes a token into the API's or the worker's log", async () => {
    const sessionId = await startSession();
    const { token, url } = (await tokenFor(sessionId)).body;
    expect((await readEvents(`${stack.baseUrl}${url}`, { withoutKey: true })).status).toBe(200);
    expect((await bare('GET', `${API}/sessions/${sessionId}?token=${token}`)).status).toBe(401);
    // The request log line of the stream itself is written once the stream has ended.
    await stack.api.waitForLine((line) => line.includes('request completed') && line.includes(`/sessions/${sessionId}/events`), 10_000);
    expect(issued.length).toBeGreaterThan(0);
    const hits = [stack.api, replica, ...stack.workers].flatMap((app) => app.lines.filter((line) => issued.some((t) => line.includes(t))));
    expect(hits).toEqual([]);
  });
});
