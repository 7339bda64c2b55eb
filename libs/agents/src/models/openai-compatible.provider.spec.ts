import { OpenAiServer } from '../../../../test/support/openai-server';
import { ModelRequestError, ModelTimeoutError } from './model-errors';
import type { ModelRateLimiter } from './model-rate-limiter';
import { OpenAiCompatibleModelProvider, OpenAiCompatibleOptions } from './openai-compatible.provider';

describe('OpenAiCompatibleModelProvider', () => {
  let server: OpenAiServer;

  beforeAll(async () => {
    server = await OpenAiServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => server.reset());

  const provider = (options: Partial<OpenAiCompatibleOptions> = {}) =>
    new OpenAiCompatibleModelProvider({ baseUrl: server.baseUrl, model: 'test-model', timeoutMs: 10_000, maxRetries: 2, maxRetryDelayMs: 50, ...options });
  const user = (content: string) => [{ role: 'user' as const, content }];

  it('streams the answer: text pieces to onDelta, the usage chunk read, the request as OpenAI has it', async () => {
    server.enqueue({ text: 'Hello from the model, in pieces', chunkChars: 5, usage: { prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 } });
    const pieces: string[] = [];
    const answer = await provider({ apiKey: 'sk-test' }).chat({
      messages: [{ role: 'system', content: 'Be brief.' }, ...user('Say hello')],
      maxTokens: 64,
      onDelta: (p) => pieces.push(p),
    });
    expect(answer).toEqual({
      text: 'Hello from the model, in pieces',
      toolCalls: [],
      model: 'test-model',
      usage: { promptTokens: 21, completionTokens: 9, totalTokens: 30 },
    });
    expect(pieces.join('')).toBe(answer.text);
    expect(pieces.length).toBeGreaterThan(3);
    const [call] = server.calls;
    expect(call.url).toBe('/v1/chat/completions');
    expect(call.headers.authorization).toBe('Bearer sk-test');
    expect(call.body).toEqual({
      model: 'test-model',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
  });

  it('sends tools and reads the tool calls streamed in fragments; sends tool results back', async () => {
    server.enqueue({ toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] });
    const tools = [{ name: 'add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' } } } }];
    const answer = await provider().chat({ messages: user('1+2?'), tools });
    expect(answer.toolCalls).toEqual([{ id: 'c1', name: 'add', arguments: '{"a":1,"b":2}' }]);
    expect(server.calls[0].body.tools).toEqual([{ type: 'function', function: tools[0] }]);

    server.enqueue({ text: '3' });
    await provider().chat({
      messages: [...user('1+2?'), { role: 'assistant', content: '', toolCalls: answer.toolCalls }, { role: 'tool', toolCallId: 'c1', content: '3' }],
    });
    expect(server.calls[1].body.messages.slice(1)).toEqual([
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":1,"b":2}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '3' },
    ]);
  });

  it('asks for json_schema; a server that refuses it is asked in JSON mode, and remembered', async () => {
    server.enqueue({ text: '{"ok":true}' });
    const format = { name: 'answer', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } };
    const model = provider();
    await model.chat({ messages: user('q'), responseFormat: format });
    expect(server.calls[0].body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: format.schema } });

    server.reset();
    server.rejectJsonSchema = true;
    server.enqueue({ text: '{"ok":true}' });
    expect((await model.chat({ messages: user('q'), responseFormat: format })).text).toBe('{"ok":true}');
    expect(server.calls.map((c) => c.body.response_format?.type)).toEqual(['json_schema', 'json_object']);
    expect(server.calls[1].body.messages[0]).toEqual({ role: 'system', content: expect.stringContaining('"ok":{"type":"boolean"}') });
    await model.chat({ messages: user('q'), responseFormat: format });
    expect(server.calls.map((c) => c.body.response_format?.type)).toEqual(['json_schema', 'json_object', 'json_object']);
  });

  it('waits for the rate limiter before each call, and slows it down on a 429 with Retry-After', async () => {
    const seen: string[] = [];
    const limiter: ModelRateLimiter = {
      acquire: async (model, tokens) => void seen.push(`acquire ${model} ${tokens > 0}`),
      backOff: async (model, ms) => void seen.push(`backOff ${model} ${ms}`),
    };
    server.enqueue({ status: 429, retryAfter: '0.03' }, { text: 'after the wait' });
    const started = Date.now();
    expect((await provider({ limiter }).chat({ messages: user('p') })).text).toBe('after the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(seen).toEqual(['acquire test-model true', 'backOff test-model 30', 'acquire test-model true']);
    expect(server.calls).toHaveLength(2);
  });

  it('falls back to the next model of the chain on a 5xx, in order', async () => {
    server.handle((call) => (call.body.model === 'big' ? { status: 503, error: 'overloaded' } : { text: `from ${call.body.model}` }));
    const retries: unknown[] = [];
    const answer = await provider().chat({ messages: user('p'), model: ['big', 'small'], onRetry: (r) => retries.push(r) });
    expect(answer).toMatchObject({ text: 'from small', model: 'small' });
    expect(retries).toEqual([{ model: 'big', next: 'small', error: expect.stringContaining('503'), waitMs: 0 }]);
    expect(server.calls.map((c) => c.body.model)).toEqual(['big', 'small']);
  });

  it('retries the chain after every model failed, and gives up after maxRetries with a retryable error', async () => {
    server.enqueue({ status: 500 });
    const attempt = provider({ maxRetries: 1 }).chat({ messages: user('p'), model: ['a', 'b'] });
    await expect(attempt).rejects.toMatchObject({ name: 'ModelRequestError', status: 500, retryable: true });
    expect(server.calls.map((c) => c.body.model)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('does not retry a refused request', async () => {
    server.enqueue({ status: 401, error: 'Incorrect API key provided' });
    const attempt = provider({ apiKey: 'wrong' }).chat({ messages: user('p') });
    await expect(attempt).rejects.toBeInstanceOf(ModelRequestError);
    await expect(attempt).rejects.toMatchObject({ status: 401, retryable: false });
    expect(server.calls).toHaveLength(1);
  });

  it('times out a model that does not answer, then tries the fallback', async () => {
    server.handle((call) => (call.body.model === 'slow' ? { hang: true } : { text: 'quick' }));
    expect(await provider({ timeoutMs: 200 }).chat({ messages: user('p'), model: ['slow', 'quick'] })).toMatchObject({ text: 'quick' });
    server.reset();
    server.enqueue({ hang: true });
    const attempt = provider({ timeoutMs: 200, maxRetries: 0 }).chat({ messages: user('p') });
    await expect(attempt).rejects.toBeInstanceOf(ModelTimeoutError);
  });

  it("cancels the request when the signal fires, with the signal's reason", async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const reason = new Error('task cancelled');
    const attempt = provider().chat({ messages: user('p'), signal: controller.signal });
    while (server.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort(reason);
    await expect(attempt).rejects.toBe(reason);
  });

  it('complete() is one chat turn', async () => {
    server.enqueue({ text: 'ok' });
    expect(await provider().complete({ system: 's', prompt: 'p' })).toEqual({ text: 'ok', model: 'test-model' });
  });
});
