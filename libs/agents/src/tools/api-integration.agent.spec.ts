import { ValidationFailedError } from '@switchyard/orchestration';
import { LoopbackServer } from '../testing/loopback-server';
import { configWithTools, taskContext, taskRun } from '../testing/task-fixtures';
import { ApiIntegrationAgent } from './api-integration.agent';
import { HostAllowList } from './host-allow-list';
import { HostNotAllowedError, HttpTimeoutError, ResponseTooLargeError } from './tool-errors';

describe('HostAllowList', () => {
  const list = new HostAllowList(['api.example.com', '127.0.0.1:8080', '*.internal.example', '[::1]:9000']);
  it.each([
    ['https://api.example.com/v1', true],
    ['http://API.Example.com:81/', true],
    ['https://evil-api.example.com/', false],
    ['https://api.example.com.evil.net/', false],
    ['http://127.0.0.1:8080/x', true],
    ['http://127.0.0.1:8081/x', false],
    ['http://127.0.0.1/x', false],
    ['https://a.b.internal.example/', true],
    ['https://internal.example/', false],
    ['http://[::1]:9000/', true],
    ['http://[::1]:9001/', false],
  ])('%s allowed: %s', (url, allowed) => {
    expect(list.allows(new URL(url))).toBe(allowed);
  });

  it('allows nothing when empty', () => {
    expect(new HostAllowList([]).allows(new URL('http://127.0.0.1/'))).toBe(false);
  });
});

describe('ApiIntegrationAgent', () => {
  let server: LoopbackServer;
  let other: LoopbackServer;

  beforeAll(async () => {
    server = await LoopbackServer.start((request, response) => {
      if (request.url === '/echo') {
        response.writeHead(201, { 'content-type': 'application/json', 'x-secret': 'dropped', etag: '"1"' });
        response.end(
          JSON.stringify({ method: request.method, body: request.body, type: request.headers['content-type'], token: request.headers.authorization }),
        );
      } else if (request.url?.split('?')[0] === '/text') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
      } else if (request.url === '/bad-json') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
      } else if (request.url === '/missing') {
        response.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"title":"Not found"}');
      } else if (request.url?.split('?')[0] === '/big') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('x'.repeat(600));
        response.end('y'.repeat(600));
      } else if (request.url === '/to-echo') {
        response.writeHead(302, { location: '/echo' }).end();
      } else if (request.url === '/to-other') {
        response.writeHead(302, { location: `${other.origin}/echo` }).end();
      } else if (request.url?.split('?')[0] === '/slow') {
        // Never answers: the caller's timeout or signal has to end the call.
      } else {
        response.writeHead(500).end();
      }
    });
    other = await LoopbackServer.start((_request, response) => response.writeHead(200).end('other'));
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
  });

  const agentFor = (hosts: string[], limits: { httpTimeoutMs?: number; httpMaxResponseBytes?: number } = {}) =>
    new ApiIntegrationAgent(configWithTools({ httpAllowedHosts: hosts, httpTimeoutMs: 10_000, httpMaxResponseBytes: 1000, ...limits }));
  const run = (agent: ApiIntegrationAgent, input: unknown, signal?: AbortSignal) =>
    agent.run(taskRun(input, { capabilities: ['api_integration'] }), taskContext(signal));

  it('makes the call and answers status, kept headers and the parsed JSON body', async () => {
    const agent = agentFor([`127.0.0.1:${server.port}`]);
    const output = await run(agent, { method: 'post', url: `${server.origin}/echo`, headers: { authorization: 'Bearer t' }, body: { a: [1, 2] } });
    expect(output).toEqual({
      status: 201,
      ok: true,
      url: `${server.origin}/echo`,
      headers: { 'content-type': 'application/json', etag: '"1"' },
      bodyType: 'json',
      body: { method: 'POST', body: '{"a":[1,2]}', type: 'application/json', token: 'Bearer t' },
    });
  });

  it('answers text as text, a non-2xx status as it is, and JSON that is not as text', async () => {
    const agent = agentFor([`127.0.0.1:${server.port}`]);
    expect(await run(agent, { url: `${server.origin}/text` })).toMatchObject({ status: 200, bodyType: 'text', body: 'plain words' });
    expect(await run(agent, { url: `${server.origin}/missing` })).toMatchObject({ status: 404, ok: false, bodyType: 'json', body: { title: 'Not found' } });
    expect(await run(agent, { url: `${server.origin}/bad-json` })).toMatchObject({ bodyType: 'text', body: '{not json' });
  });

  it('refuses a host not on the allow-list before connecting', async () => {
    const before = server.requests.length;
    for (const hosts of [[], ['127.0.0.1:1'], ['localhost'], ['*.0.0.1']]) {
      const attempt = run(agentFor(hosts), { url: `${server.origin}/echo` });
      await expect(attempt).rejects.toBeInstanceOf(HostNotAllowedError);
      await expect(attempt).rejects.toThrow(
        `Calling ${server.origin}/echo is refused: host "127.0.0.1:${server.port}" is not in SWITCHYARD_HTTP_ALLOWED_HOSTS`,
      );
    }
    expect(server.requests.length).toBe(before);
  });

  it('follows redirects on allowed hosts and refuses one to a host off the list', async () => {
    const agent = agentFor([`127.0.0.1:${server.port}`]);
    expect(await run(agent, { url: `${server.origin}/to-echo` })).toMatchObject({ status: 201, url: `${server.origin}/echo` });
    await expect(run(agent, { url: `${server.origin}/to-other` })).rejects.toThrow(HostNotAllowedError);
    expect(other.requests).toHaveLength(0);
  });

  it('fails a response over the size limit instead of cutting it', async () => {
    await expect(run(agentFor([`127.0.0.1:${server.port}`]), { url: `${server.origin}/big` })).rejects.toThrow(ResponseTooLargeError);
    expect(await run(agentFor([`127.0.0.1:${server.port}`], { httpMaxResponseBytes: 1200 }), { url: `${server.origin}/big` })).toMatchObject({
      body: 'x'.repeat(600) + 'y'.repeat(600),
    });
  });

  it('ends a call at its timeout with a retryable error', async () => {
    const attempt = run(agentFor([`127.0.0.1:${server.port}`]), { url: `${server.origin}/slow`, timeoutMs: 200 });
    await expect(attempt).rejects.toBeInstanceOf(HttpTimeoutError);
    await expect(attempt).rejects.toMatchObject({ retryable: true, timeoutMs: 200 });
  });

  it('names a URL by its origin and path only, in its errors and its log line: the query string may hold a secret', async () => {
    const secret = '?token=s3cret&user=me';
    const refused = run(agentFor([]), { url: `${server.origin}/text${secret}` });
    await expect(refused).rejects.toThrow(`Calling ${server.origin}/text is refused:`);
    await expect(refused).rejects.toMatchObject({ url: `${server.origin}/text` });
    const tooLarge = run(agentFor([`127.0.0.1:${server.port}`]), { url: `${server.origin}/big${secret}` });
    await expect(tooLarge).rejects.toThrow(`The response of ${server.origin}/big is larger than`);
    await expect(tooLarge).rejects.toMatchObject({ url: `${server.origin}/big` });
    const timedOut = run(agentFor([`127.0.0.1:${server.port}`]), { url: `${server.origin}/slow${secret}`, timeoutMs: 100 });
    await expect(timedOut).rejects.toThrow(`${server.origin}/slow did not answer within 100 ms`);
    await expect(timedOut).rejects.toMatchObject({ url: `${server.origin}/slow` });

    const logged: unknown[] = [];
    const context = {
      ...taskContext(),
      log: { ...taskContext().log, info: (message: string, fields?: Record<string, unknown>) => logged.push({ message, ...fields }) },
    };
    const agent = agentFor([`127.0.0.1:${server.port}`]);
    const output = await agent.run(taskRun({ url: `${server.origin}/text${secret}` }, { capabilities: ['api_integration'] }), context);
    // The output is the caller's own: it keeps the URL that answered, as it was.
    expect(output.url).toBe(`${server.origin}/text${secret}`);
    expect(logged).toEqual([{ message: 'http call done', method: 'GET', url: `${server.origin}/text`, status: 200 }]);
  });

  it("ends a call when the task's signal fires, with its reason", async () => {
    const controller = new AbortController();
    const attempt = run(agentFor([`127.0.0.1:${server.port}`]), { url: `${server.origin}/slow` }, controller.signal);
    const reason = new Error('session cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await expect(attempt).rejects.toBe(reason);
  });

  it('rejects malformed input naming each field', async () => {
    const agent = agentFor([`127.0.0.1:${server.port}`]);
    const issues = async (input: unknown) => {
      try {
        await run(agent, input);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationFailedError);
        return (error as ValidationFailedError).issues.map((i) => i.path);
      }
    };
    expect(await issues({ url: 'ftp://example.com/x' })).toEqual(['input.url']);
    expect(await issues({ url: 'not a url' })).toEqual(['input.url']);
    expect(await issues({ url: `${server.origin}/echo`, method: 'TRACE' })).toEqual(['input.method']);
    expect(await issues({ url: `${server.origin}/echo`, body: { a: 1 } })).toEqual(['input.body']);
    expect(await issues({ url: `${server.origin}/echo`, headers: { a: 1 } })).toEqual(['input.headers.a']);
  });
});
