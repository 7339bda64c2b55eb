import { randomBytes } from 'node:crypto';
import { TEST_KEYS } from './support/api-keys';
import { Stack } from './support/stack';

/**
 * Secrets a client sends (API keys in `authorization` and `x-api-key`, cookies, idempotency keys)
 * and secrets in URLs (a query string's token) never reach a process log, a session's
 * orchestration log or its view.
 */
describe('secrets in logs', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ env: { SWITCHYARD_HTTP_ALLOWED_HOSTS: '127.0.0.1:9' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('redacts key, cookie and idempotency headers and strips query strings from every logged URL', async () => {
    const token = `tok${randomBytes(12).toString('hex')}`;
    const cookie = `ck${randomBytes(12).toString('hex')}`;
    const idempotencyKey = `idem${randomBytes(12).toString('hex')}`;
    const queryToken = `qt${randomBytes(12).toString('hex')}`;
    const bearer = TEST_KEYS.admin.key;
    const headerKey = TEST_KEYS.operator.key;

    const accepted = await stack.request(
      'POST',
      '/api/orchestrator/orchestrate',
      {
        plan: {
          tasks: [{ id: 'refused', capabilities: ['api_integration'], input: { url: `https://api.example.com/v1/items?token=${token}&page=2` } }],
        },
      },
      undefined,
      { 'x-api-key': headerKey, cookie: `session=${cookie}`, 'idempotency-key': idempotencyKey },
    );
    expect(accepted.status).toBe(202);
    const sessionId: string = accepted.body.sessionId;
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('failed');
    const refused = session.tasks.find((t: any) => t.id === 'refused');
    expect(refused.error).toMatchObject({ name: 'HostNotAllowedError' });
    const view = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`, undefined, undefined, { cookie: `session=${cookie}` });
    // A query string may carry a secret (a stream token, a search for one): it is not logged.
    const searched = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?q=${queryToken}`);
    expect(searched.status).toBe(200);
    const logs = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?limit=500`);
    expect(logs.status).toBe(200);
    expect(logs.body.entries.some((e: any) => e.taskId === 'refused' && e.level === 'error')).toBe(true);

    // The API logs each request once its response is sent: wait (bounded) for the last one's line.
    await stack.api.waitForLine((line) => line.includes('"msg":"request completed"') && line.includes(`/sessions/${sessionId}/logs`), 10_000);
    await stack.workers[0].waitForLine((line) => line.includes('HostNotAllowedError') || line.includes('is not in SWITCHYARD_HTTP_ALLOWED_HOSTS'), 10_000);

    const places = {
      'api process log': stack.api.lines.join('\n'),
      'worker process log': stack.workers[0].lines.join('\n'),
      'session log': JSON.stringify(logs.body),
      // The view's `plan` is the plan as submitted (task inputs included, as they run): the
      // caller's data, not something Switchyard logged. Everything else in the view is checked.
      'session view': JSON.stringify({ ...view.body, plan: undefined }),
    };
    const secrets = { bearer, headerKey, cookie, idempotencyKey, token, queryToken };
    const hits: string[] = [];
    for (const [where, text] of Object.entries(places)) {
      for (const [what, secret] of Object.entries(secrets)) {
        if (text.includes(secret)) hits.push(`${what} in the ${where}`);
      }
    }
    expect(hits).toEqual([]);

    // The request lines are still there, with the headers named and the paths kept.
    const requests = stack.api.lines.filter((line) => line.includes('"msg":"request completed"')).map((line) => JSON.parse(line).req);
    for (const header of ['authorization', 'x-api-key', 'cookie', 'idempotency-key']) {
      expect(requests.filter((req) => req.headers[header] !== undefined).map((req) => req.headers[header])).toContain('[redacted]');
    }
    const logsRequest = requests.find((req) => req.url.includes(`/sessions/${sessionId}/logs`));
    expect(logsRequest).toMatchObject({ url: `/api/orchestrator/sessions/${sessionId}/logs` });
    expect(logsRequest).not.toHaveProperty('query');
    expect(view.body.plan.tasks[0].input.url).toContain(`?token=${token}`);
    // A refused URL is named by its origin and path.
    expect(refused.error.message).toBe('Calling https://api.example.com/v1/items is refused: host "api.example.com" is not in SWITCHYARD_HTTP_ALLOWED_HOSTS');
  });
});
