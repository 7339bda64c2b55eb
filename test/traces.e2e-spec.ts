import { randomBytes } from 'node:crypto';
import { OtlpReceiver } from './support/otlp-receiver';
import { Stack } from './support/stack';
import { until } from './support/until';

/**
 * Traces (SPEC "Operator surfaces" → Traces): API and worker processes export their spans by
 * OTLP/HTTP to a receiver this test starts. One session, started with a caller's `traceparent`:
 * a diamond whose one side spawns subtasks at run time.
 */
describe('traces', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stack = await Stack.start({ workers: 1, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it("puts one session's spans in the caller's trace, each task attempt under its enqueuer's span, each model and tool call under its task's", async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const accepted = await stack.request(
      'POST',
      '/api/orchestrator/orchestrate',
      {
        plan: {
          tasks: [
            { id: 'a', capabilities: ['web_research'] },
            { id: 'b', capabilities: ['task_decomposition'], dependsOn: ['a'], input: { goal: 'Implement a rate limiter API' } },
            { id: 'c', capabilities: ['code_review'], dependsOn: ['a'] },
            { id: 'd', capabilities: ['document_creation'], dependsOn: ['b', 'c'] },
            { id: 'f', capabilities: ['file_operations'], input: { operation: 'write', path: 'traces/note.txt', content: 'traced' } },
          ],
        },
      },
      undefined,
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(accepted.status).toBe(202);
    const sessionId = accepted.body.sessionId as string;
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const taskIds: string[] = session.tasks.map((t: { id: string }) => t.id);
    expect(taskIds.filter((id) => id.startsWith('b.')).length).toBeGreaterThan(0);

    // Every task attempt's span has reached the receiver (the processes export in batches, each second).
    const attemptSpans = () => receiver.spans.filter((s) => s.attributes['switchyard.session.id'] === sessionId && s.name.startsWith('task '));
    await until('every task attempt span', async () =>
      taskIds.every((id) => attemptSpans().some((s) => s.attributes['switchyard.task.id'] === id)) ? true : undefined,
    );
    const mine = receiver.spans.filter((s) => s.traceId === traceId);

    // The orchestrate span is the API's, a child of the caller's span.
    const orchestrate = mine.filter((s) => s.name === 'orchestrate');
    expect(orchestrate).toHaveLength(1);
    expect(orchestrate[0]).toMatchObject({ service: 'switchyard-api', parentSpanId: callerSpanId });
    expect(orchestrate[0].attributes['switchyard.session.id']).toBe(sessionId);

    // Every span of the session is in the caller's trace.
    expect(attemptSpans().every((s) => s.traceId === traceId)).toBe(true);
    const spanOf = (taskId: string) => attemptSpans().filter((s) => s.attributes['switchyard.task.id'] === taskId);
    for (const id of ['a', 'b', 'c', 'd', 'f']) {
      // A top-level task's attempts are children of the orchestrate span (the plan was enqueued there).
      expect(spanOf(id).length).toBeGreaterThan(0);
      for (const span of spanOf(id)) expect(span).toMatchObject({ service: 'switchyard-worker', parentSpanId: orchestrate[0].spanId });
    }
    // A spawned subtask's attempts are children of the attempt of b that spawned it.
    const spawners = new Set(spanOf('b').map((s) => s.spanId));
    for (const id of taskIds.filter((t) => t.startsWith('b.'))) {
      for (const span of spanOf(id)) expect(spawners.has(span.parentSpanId!)).toBe(true);
    }

    // Each model call is a child of its task's span, with GenAI attributes.
    const attemptIds = new Set(attemptSpans().map((s) => s.spanId));
    const modelCalls = mine.filter((s) => ['text_completion', 'chat'].includes(s.attributes['gen_ai.operation.name'] as string));
    const ofA = modelCalls.filter((s) => s.parentSpanId === spanOf('a')[0].spanId);
    expect(ofA).toHaveLength(1);
    // The built-in agents talk to the model through chat (converse), the offline provider too.
    expect(ofA[0].name).toBe('chat switchyard-offline-1');
    expect(ofA[0].attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'switchyard-offline',
      'gen_ai.request.model': 'switchyard-offline-1',
      'gen_ai.response.model': 'switchyard-offline-1',
    });
    expect(ofA[0].attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(ofA[0].attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    for (const call of modelCalls) expect(attemptIds.has(call.parentSpanId!)).toBe(true);

    // A tool call is a child of its task's span too.
    const toolCalls = mine.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ name: 'execute_tool file_operations', parentSpanId: spanOf('f')[0].spanId });
    expect(toolCalls[0].attributes).toMatchObject({ 'gen_ai.tool.name': 'file_operations', 'switchyard.file.operation': 'write' });
  });
  it("puts a goal's planning run under the orchestrate span, and the plan's tasks under the planning run", async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { goal: 'Research rate limiters and write a short summary' });
    expect(accepted.status).toBe(202);
    const sessionId = accepted.body.sessionId as string;
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const taskIds: string[] = session.tasks.map((t: { id: string }) => t.id);
    const ofSession = () => receiver.spans.filter((s) => s.attributes['switchyard.session.id'] === sessionId);
    await until('every span of the goal session', async () =>
      taskIds.every((id) => ofSession().some((s) => s.attributes['switchyard.task.id'] === id)) ? true : undefined,
    );
    const [orchestrate] = ofSession().filter((s) => s.name === 'orchestrate');
    // No traceparent came with the request: the orchestrate span starts a trace of its own.
    expect(orchestrate.parentSpanId ?? '').toBe('');
    const plans = ofSession().filter((s) => s.name === 'plan');
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ service: 'switchyard-worker', traceId: orchestrate.traceId, parentSpanId: orchestrate.spanId });
    for (const span of ofSession().filter((s) => s.name.startsWith('task '))) {
      expect(span).toMatchObject({ traceId: orchestrate.traceId, parentSpanId: plans[0].spanId });
    }
  });
});
