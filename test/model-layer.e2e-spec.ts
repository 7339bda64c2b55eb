import { authHeader } from './support/api-keys';
import { OpenAiServer, Usage } from './support/openai-server';
import { OtlpReceiver } from './support/otlp-receiver';
import { sample } from './support/prometheus';
import { readEvents, SseEvent } from './support/sse-client';
import { Stack } from './support/stack';
import { LOOKUP_ANSWER, lookupLoop, TOOL_WORKER } from './support/tool-loop';
import { until } from './support/until';

/** Each agent type on a model of its own, so each test's calls, prices and limits are apart. */
const MODELS = { researcher: 'stream-model', reviewer: 'priced-model', coder: 'limited-model', planner: 'backoff-model' };
/** USD per million tokens. */
const PRICES = { 'priced-model': { prompt: 2, completion: 10 } };
const RPM = 3;

const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
const usage = (prompt: number, completion: number): Usage => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
const WAITS = 'model call waits for the shared rate limit';

/**
 * The model layer as one: built-in agents in real worker processes, pointed by configuration at a
 * loopback OpenAI-compatible server, with their streamed text as session deltas, the server's
 * usage numbers summed into tasks, sessions, /stats and /metrics and checked against budgets,
 * the shared Redis rate limiter between two workers, and the SDK's tool calls as spans.
 */
describe('the model layer end to end', () => {
  let server: OpenAiServer;
  let receiver: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    [server, receiver] = await Promise.all([OpenAiServer.start(), OtlpReceiver.start()]);
    stack = await Stack.start({
      workers: 2,
      env: {
        SWITCHYARD_MODEL_PROVIDER: 'openai',
        SWITCHYARD_OPENAI_BASE_URL: server.baseUrl,
        SWITCHYARD_MODEL: 'default-model',
        SWITCHYARD_MODELS: JSON.stringify(MODELS),
        SWITCHYARD_MODEL_PRICES: JSON.stringify(PRICES),
        SWITCHYARD_MODEL_LIMITS: JSON.stringify({ 'limited-model': { rpm: RPM } }),
        SWITCHYARD_MODEL_TIMEOUT_MS: '10000',
        // One task of an agent type at a time per worker: a busy worker leaves the next task to the other.
        SWITCHYARD_AGENT_CONCURRENCY: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([server?.stop(), receiver?.stop()]);
  });

  beforeEach(() => server.reset());

  const orchestrate = async (body: unknown) => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', body);
    expect(accepted.status).toBe(202);
    return accepted.body.sessionId as string;
  };

  it("streams a built-in agent's model text as deltas: each once, in order, across a dropped connection; the output is the whole text", async () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    // Five characters a chunk, spread over 1.5 s: the subscriber drops while the model still talks.
    server.handle(() => ({ text, chunkChars: 5, delayMs: 1500 }));
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'write', capabilities: ['document_creation'], input: { instruction: 'Count words' } }] } });
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`;
    const first = await readEvents(url, { stopAfter: 12 });
    const rest = await readEvents(url, { lastEventId: first.events.at(-1)!.id });
    const deltas = (events: SseEvent[]) => events.filter((e) => e.event === 'delta').map((e) => e.data);
    // The connection dropped in the middle of the stream.
    expect(deltas(first.events).length).toBeGreaterThan(0);
    expect(deltas(rest.events).length).toBeGreaterThan(0);
    const live = [...first.events, ...rest.events];
    expect(new Set(live.map((e) => e.id)).size).toBe(live.length);
    const all = deltas(live);
    expect(all.map((d) => d.seq)).toEqual([...all.keys()]);
    expect(all.every((d) => d.taskId === 'write' && d.attempt === 1)).toBe(true);
    expect(all.map((d) => d.text).join('')).toBe(text);
    expect(all).toHaveLength(Math.ceil(text.length / 5));
    expect(live.at(-1)).toMatchObject({ event: 'session', data: { status: 'completed' } });

    const session = await stack.waitForSession(sessionId);
    expect(task(session, 'write').output).toMatchObject({ capability: 'document_creation', text, model: 'stream-model' });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0].body).toMatchObject({ model: 'stream-model', stream: true, stream_options: { include_usage: true } });
  });

  it("sums the server's usage numbers into the tasks, the session, /stats and /metrics, priced by SWITCHYARD_MODEL_PRICES", async () => {
    server.handle((call) => ({ text: `diagnosis ${call.body.messages.length}`, usage: usage(1000, 200) }));
    const sessionId = await orchestrate({
      plan: {
        tasks: [
          { id: 'a', capabilities: ['error_diagnosis'] },
          { id: 'b', capabilities: ['error_diagnosis'], dependsOn: ['a'] },
        ],
      },
    });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    // 1000 prompt tokens at $2/M and 200 completion tokens at $10/M: $0.004 a call.
    for (const id of ['a', 'b']) {
      expect(task(session, id).usage).toEqual({ promptTokens: 1000, completionTokens: 200, totalTokens: 1200, calls: 1, costUsd: expect.closeTo(0.004, 9) });
    }
    expect(session.usage).toEqual({ promptTokens: 2000, completionTokens: 400, totalTokens: 2400, calls: 2, costUsd: expect.closeTo(0.008, 9) });
    expect(server.calls.map((c) => c.body.model)).toEqual(['priced-model', 'priced-model']);

    const stats = await until('priced-model usage in /stats', async () => {
      const answer = await stack.request('GET', '/api/orchestrator/stats');
      return answer.body.usage?.byModel?.['priced-model']?.totalTokens === 2400 ? answer.body.usage : undefined;
    });
    expect(stats.byModel['priced-model']).toEqual({ promptTokens: 2000, completionTokens: 400, totalTokens: 2400, costUsd: expect.closeTo(0.008, 9) });
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader('viewer') })).text();
    expect(sample(metrics, 'switchyard_model_tokens_total', { model: 'priced-model', kind: 'prompt', tenant: 'acme' })).toBe(2000);
    expect(sample(metrics, 'switchyard_model_tokens_total', { model: 'priced-model', kind: 'completion', tenant: 'acme' })).toBe(400);
    expect(sample(metrics, 'switchyard_model_cost_usd_total', { model: 'priced-model', tenant: 'acme' })).toBeCloseTo(0.008, 9);
  });

  it("stops a chain of model-backed tasks at its tokens budget (the server's usage): nothing starts past it", async () => {
    server.handle(() => ({ text: 'a paragraph', usage: usage(500, 100) }));
    const chain = ['one', 'two', 'three', 'four'].map((id, i, ids) => ({
      id,
      capabilities: ['document_creation'],
      ...(i > 0 ? { dependsOn: [ids[i - 1]] } : {}),
    }));
    const sessionId = await orchestrate({ plan: { tasks: chain }, budget: { tokens: 1000 } });
    const settled = (s: any) => s.status === 'failed' && s.tasks.every((t: any) => t.status !== 'running');
    const session = await stack.waitForSession(sessionId, settled, 20_000);
    expect(session.error).toMatchObject({ code: 'budget_exceeded', limit: 'tokens', used: 1200, budget: { tokens: 1000 } });
    expect(task(session, 'one').status).toBe('completed');
    // The second call passed the budget: its task either finished first or was aborted.
    expect(['completed', 'cancelled']).toContain(task(session, 'two').status);
    for (const id of ['three', 'four']) {
      expect(task(session, id)).toMatchObject({ status: 'cancelled', attempts: 0 });
      expect(task(session, id).startedAt).toBeUndefined();
    }
    expect(session.usage).toMatchObject({ totalTokens: 1200, calls: 2 });
    expect(server.calls).toHaveLength(2);
  });

  it("holds both workers' calls for a 429's Retry-After", async () => {
    server.handle((_call, index) => (index === 0 ? { status: 429, retryAfter: '2', error: 'slow down' } : { text: `answer ${index}` }));
    const first = await orchestrate({ plan: { tasks: [{ id: 'a', capabilities: ['workflow_design'] }] } });
    await until('the refused call', async () => (server.calls.length > 0 ? true : undefined), 15_000);
    const refusedAt = server.calls[0].at;
    // Long enough for the refused worker to set the shared back-off; it is busy with `a` now, so
    // the other worker takes `b`.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await orchestrate({ plan: { tasks: [{ id: 'b', capabilities: ['workflow_design'] }] } });
    const [one, two] = await Promise.all([stack.waitForSession(first), stack.waitForSession(second)]);
    expect([one.status, two.status]).toEqual(['completed', 'completed']);
    const [a, b] = [task(one, 'a'), task(two, 'b')];
    expect(a.worker.pid).not.toBe(b.worker.pid);
    expect(server.calls).toHaveLength(3);
    expect(server.calls.map((c) => c.body.model)).toEqual(['backoff-model', 'backoff-model', 'backoff-model']);
    // Neither worker called again before the 2 s were over: b's worker waited though it was never refused.
    for (const call of server.calls.slice(1)) expect(call.at - refusedAt).toBeGreaterThanOrEqual(1900);
    const bWorker = stack.workers.find((w) => w.pid === b.worker.pid)!;
    expect(bWorker.lines.some((l) => l.includes(WAITS) && l.includes('backoff-model'))).toBe(true);
  });

  it(`lets the server see no more than rpm=${RPM} calls per window from two workers; the rest wait, not fail`, async () => {
    server.handle((_call, index) => ({ text: `query ${index}` }));
    const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, capabilities: ['database_operations'] }));
    const sessionId = await orchestrate({ plan: { tasks } });
    await until(`${RPM} calls`, async () => (server.calls.length >= RPM ? true : undefined), 15_000);
    // Both workers end up with a task held by the limiter (one slot each).
    await until(
      'both workers waiting',
      async () => (stack.workers.slice(0, 2).every((w) => w.lines.some((l) => l.includes(WAITS))) ? true : undefined),
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // The window is a minute: nothing more reached the server, and the waiting tasks still run.
    expect(server.calls).toHaveLength(RPM);
    expect(server.calls.every((c) => c.body.model === 'limited-model')).toBe(true);
    const session = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body;
    expect(session.status).toBe('running');
    expect(session.tasks.filter((t: any) => t.status === 'completed')).toHaveLength(RPM);
    expect(session.tasks.filter((t: any) => t.status === 'failed')).toHaveLength(0);
    expect(session.tasks.filter((t: any) => t.status === 'running')).toHaveLength(2);
    // Cancelling aborts the waits.
    expect((await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`)).status).toBe(200);
    const cancelled = await stack.waitForSession(sessionId, (s) => s.tasks.every((t: any) => t.status !== 'running'), 15_000);
    expect(cancelled.status).toBe('cancelled');
    expect(server.calls).toHaveLength(RPM);
  });

  it("puts each of the SDK tool loop's tool calls in a child span `execute_tool <name>` of its task's attempt", async () => {
    await stack.addWorker({}, 'worker', TOOL_WORKER);
    server.enqueue(...lookupLoop());
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'ask', capabilities: ['tool_loop'], input: { question: 'What are a and broken?' } }] } });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    expect(task(session, 'ask').output).toMatchObject({ answer: LOOKUP_ANSWER, calls: 2, toolCalls: 2 });

    const ofSession = () => receiver.spans.filter((s) => s.traceId === attempt()?.traceId);
    const attempt = () => receiver.spans.find((s) => s.attributes['switchyard.session.id'] === sessionId && s.name.startsWith('task '));
    const tools = await until('both tool spans', async () => {
      const found = ofSession().filter((s) => s.name === 'execute_tool lookup');
      return found.length === 2 ? found : undefined;
    });
    const parent = attempt()!;
    const byCall = Object.fromEntries(tools.map((s) => [s.attributes['gen_ai.tool.call.id'], s]));
    for (const id of ['c1', 'c2']) {
      expect(byCall[id]).toMatchObject({ parentSpanId: parent.spanId, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' } });
    }
    // The handler that threw marks its span failed (the model still got its error as the result).
    expect((byCall.c2 as any).status).toMatchObject({ code: 2, message: 'the table has no row "broken"' });
    expect((byCall.c1 as any).status?.code ?? 0).not.toBe(2);
    // The model calls are siblings of the tool calls, under the same attempt.
    const chats = ofSession().filter((s) => s.name === 'chat default-model');
    expect(chats.map((s) => s.parentSpanId)).toEqual([parent.spanId, parent.spanId]);
  });
});
