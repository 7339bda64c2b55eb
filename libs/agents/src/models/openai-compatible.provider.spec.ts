import type { ServerResponse } from 'node:http';
import { LoopbackServer, ReceivedRequest } from '../testing/loopback-server';
import { ModelRequestError, ModelResponseError, ModelTimeoutError } from './model-errors';
import { OpenAiCompatibleModelProvider, OpenAiCompatibleOptions } from './openai-compatible.provider';

const completion = (content: unknown, model = 'served-model') =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  });

/**
 * A small OpenAI-compatible server: each request takes the next scripted answer (the last one
 * repeats), so a test can say "429, then a completion".
 */
describe('OpenAiCompatibleModelProvider', () => {
  let server: LoopbackServer;
  let script: ((request: ReceivedRequest, response: ServerResponse) => void)[] = [];
  let served = 0;

  beforeAll(async () => {
    server = await LoopbackServer.start((request, response) => {
      const answer = script[Math.min(served, script.length - 1)];
      served++;
      answer(request, response);
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(() => {
    server.requests.length = 0;
    served = 0;
  });

  const json =
    (status: number, body: string, headers: Record<string, string> = {}) =>
    (_: ReceivedRequest, response: ServerResponse) =>
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
  const provider = (options: Partial<OpenAiCompatibleOptions> = {}) =>
    new OpenAiCompatibleModelProvider({
      baseUrl: `${server.origin}/v1`,
      model: 'test-model',
      timeoutMs: 10_000,
      maxRetries: 2,
      maxRetryDelayMs: 50,
      ...options,
    });

  it('posts a non-streaming chat completion request and answers its text', async () => {
    script = [json(200, completion('Hello from the model'))];
    const answer = await provider({ apiKey: 'sk-test' }).complete({ system: 'Be brief.', prompt: 'Say hello', maxTokens: 64 });
    expect(answer).toEqual({ text: 'Hello from the model', model: 'served-model' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test');
    expect(request.headers['content-type']).toContain('application/json');
    expect(JSON.parse(request.body)).toEqual({
      model: 'test-model',
      stream: false,
      max_tokens: 64,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
  });

  it('posts relative to any base URL, and sends no Authorization header without a key', async () => {
    script = [json(200, completion('ok'))];
    await provider({ baseUrl: `${server.origin}/llama/v1/` }).complete({ prompt: 'p' });
    expect(server.requests[0].url).toBe('/llama/v1/chat/completions');
    expect(server.requests[0].headers.authorization).toBeUndefined();
    expect(JSON.parse(server.requests[0].body).messages).toEqual([{ role: 'user', content: 'p' }]);
  });

  it('uses the configured model name when the answer names none', async () => {
    script = [json(200, JSON.stringify({ choices: [{ message: { content: 'x' } }] }))];
    expect(await provider().complete({ prompt: 'p' })).toEqual({ text: 'x', model: 'test-model' });
  });

  it('retries a 429 after its Retry-After (capped), then succeeds', async () => {
    // Retry-After of an hour: were the wait not capped at maxRetryDelayMs, this test would time out.
    script = [json(429, '{"error":{"message":"slow down"}}', { 'retry-after': '3600' }), json(200, completion('after the wait'))];
    expect(await provider().complete({ prompt: 'p' })).toMatchObject({ text: 'after the wait' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].body).toBe(server.requests[0].body);
  });

  it('retries a 5xx, and gives up after maxRetries with a retryable error', async () => {
    script = [json(503, '{"error":{"message":"overloaded"}}'), json(200, completion('ok'))];
    expect(await provider().complete({ prompt: 'p' })).toMatchObject({ text: 'ok' });

    server.requests.length = 0;
    served = 0;
    script = [json(429, '{"error":{"message":"rate limited"}}', { 'retry-after-ms': '10' })];
    const attempt = provider({ maxRetries: 1 }).complete({ prompt: 'p' });
    await expect(attempt).rejects.toBeInstanceOf(ModelRequestError);
    await expect(attempt).rejects.toMatchObject({ status: 429, retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a refused request', async () => {
    script = [json(401, '{"error":{"message":"Incorrect API key provided"}}')];
    const attempt = provider({ apiKey: 'wrong' }).complete({ prompt: 'p' });
    await expect(attempt).rejects.toMatchObject({ name: 'ModelRequestError', status: 401, retryable: false });
    await expect(attempt).rejects.toThrow(`The model request to ${server.origin}/v1/chat/completions failed with 401`);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['JSON without choices', json(200, '{"id":"x"}'), 'it has no choices array'],
    ['an empty choices array', json(200, '{"choices":[]}'), 'its choices array is empty'],
    ['a choice without text', json(200, completion(null)), 'choices[0].message.content is not text'],
    ['a body that is not JSON', json(200, '{"choices": ['), 'the body is not valid JSON'],
    [
      'plain text',
      (_: ReceivedRequest, r: ServerResponse) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>'),
      'expected a JSON object, got text: "<html>proxy login</html>"',
    ],
  ])('turns %s into a clear ModelResponseError', async (_what, answer, detail) => {
    script = [answer];
    const attempt = provider().complete({ prompt: 'p' });
    await expect(attempt).rejects.toBeInstanceOf(ModelResponseError);
    await expect(attempt).rejects.toThrow(`The model server at ${server.origin}/v1/chat/completions sent a malformed chat completion: ${detail}`);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a server that does not answer', async () => {
    script = [() => undefined];
    const attempt = provider({ timeoutMs: 200, maxRetries: 0 }).complete({ prompt: 'p' });
    await expect(attempt).rejects.toBeInstanceOf(ModelTimeoutError);
    await expect(attempt).rejects.toMatchObject({ timeoutMs: 200, retryable: true });
  });

  it("cancels the request when the signal fires, with the signal's reason", async () => {
    script = [() => undefined];
    const controller = new AbortController();
    const reason = new Error('task cancelled');
    const attempt = provider().complete({ prompt: 'p', signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort(reason);
    await expect(attempt).rejects.toBe(reason);
  });

  it('cancels a wait between retries when the signal fires', async () => {
    script = [json(429, '{}', { 'retry-after': '3600' })];
    const controller = new AbortController();
    const reason = new Error('task cancelled');
    const attempt = provider({ maxRetryDelayMs: 3_600_000 }).complete({ prompt: 'p', signal: controller.signal });
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort(reason);
    await expect(attempt).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });
});
