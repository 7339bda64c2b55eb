import { ChatCall, OpenAiServer, Reply } from './support/openai-server';
import { Stack } from './support/stack';
import { LOOKUP_ANSWER, lookupLoop, TOOL_WORKER } from './support/tool-loop';

const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
const formatOf = (call: ChatCall) => call.body.response_format?.json_schema?.name;
const json = (value: unknown): Reply => ({ text: JSON.stringify(value) });

/**
 * The model-backed agents against a real OpenAI-compatible server (a loopback one the test
 * scripts): the API and the workers are real processes, pointed at it by configuration.
 */
describe('model-backed agents against an OpenAI-compatible server', () => {
  let server: OpenAiServer;
  let stack: Stack;

  beforeAll(async () => {
    server = await OpenAiServer.start();
    stack = await Stack.start({
      workers: 1,
      env: {
        SWITCHYARD_MODEL_PROVIDER: 'openai',
        SWITCHYARD_OPENAI_BASE_URL: server.baseUrl,
        SWITCHYARD_MODEL: 'default-model',
        SWITCHYARD_MODELS: JSON.stringify({ planner: 'planner-model', researcher: ['big-model', 'small-model'] }),
        SWITCHYARD_MODEL_TIMEOUT_MS: '10000',
        SWITCHYARD_MODEL_MAX_RETRIES: '2',
        SWITCHYARD_LOCK_DURATION_MS: '2000',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await server?.stop();
  });

  beforeEach(() => server.reset());

  const orchestrate = async (body: unknown) => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', body);
    expect(accepted.status).toBe(202);
    return accepted.body.sessionId as string;
  };

  it("plans a goal with the model, repairs the plan the validator refused, and the agents' outputs are the model's", async () => {
    let planCalls = 0;
    server.handle((call) => {
      if (formatOf(call) === 'switchyard_plan') {
        planCalls++;
        // The first plan depends on a task it does not have; the repair fixes that.
        const review = { id: 'review', title: 'Review it', capabilities: ['code_review'], dependsOn: [planCalls === 1 ? 'reserch' : 'research'] };
        return json({
          tasks: [{ id: 'research', title: 'Research AOF', capabilities: ['web_research'], input: { instruction: 'Find how AOF works' } }, review],
        });
      }
      if (formatOf(call) === 'research_findings') return json({ summary: 'AOF logs every write', findings: ['fsync every second by default'] });
      if (formatOf(call) === 'review') return json({ verdict: 'changes_requested', comments: ['say what appendfsync always costs'] });
      return { status: 400, error: `unexpected call ${JSON.stringify(call.body.response_format)}` };
    });
    const sessionId = await orchestrate({ goal: 'Explain Redis AOF persistence', context: { audience: 'operators' } });
    const session = await stack.waitForSession(sessionId, undefined, 60_000);
    expect(session.status).toBe('completed');
    expect(session.planning).toMatchObject({ status: 'completed', rounds: 2, model: 'planner-model' });
    expect(session.tasks.map((t: any) => t.id)).toEqual(['research', 'review']);

    // The repair round: the model got its plan back with the validator's message.
    const planRequests = server.calls.filter((c) => formatOf(c) === 'switchyard_plan');
    expect(planRequests).toHaveLength(2);
    expect(planRequests.map((c) => c.body.model)).toEqual(['planner-model', 'planner-model']);
    const repair = planRequests[1].body.messages.at(-1)!.content!;
    expect(repair).toMatch(/^That plan is invalid:\n- plan\.tasks\[1\]\.dependsOn.*reserch/s);
    expect(planRequests[0].body.response_format!.json_schema!.schema).toMatchObject({ $defs: { Plan: { required: ['tasks'] } } });

    // What the agents answered is what the model said, parsed.
    expect(task(session, 'research').output).toMatchObject({
      summary: 'AOF logs every write',
      findings: ['fsync every second by default'],
      model: 'big-model',
    });
    expect(task(session, 'review').output).toMatchObject({
      verdict: 'changes_requested',
      comments: ['say what appendfsync always costs'],
      basedOn: ['research'],
    });
    // The reviewer's prompt had the research's full result and the session's context.
    const reviewPrompt = server.calls.find((c) => formatOf(c) === 'review')!.body.messages.at(-1)!.content!;
    expect(reviewPrompt).toContain('From research: AOF logs every write\n');
    expect(reviewPrompt).toContain('"findings":["fsync every second by default"]');
    expect(reviewPrompt).toContain('Context: {"audience":"operators"}');

    const log = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?source=orchestrator`)).body.entries;
    const rounds = log.filter((e: any) => e.taskId === 'plan' && /^plan (invalid|accepted)/.test(e.message));
    expect(rounds.map((e: any) => [e.message, e.context.round])).toEqual([
      ['plan invalid; handed back to the model to repair', 1],
      ['plan accepted', 2],
    ]);
    // For the report: the model-planned plan and its repair round, as the log has them.
    console.log(JSON.stringify(rounds, null, 1));
  });

  it('fails the session with the last validation error after SWITCHYARD_PLAN_REPAIR_ROUNDS repairs', async () => {
    server.handle(() => json({ tasks: [{ id: 'a', capabilities: ['web_research'], dependsOn: ['a'] }] }));
    const session = await stack.waitForSession(await orchestrate({ goal: 'Plan something circular' }), undefined, 60_000);
    expect(session.status).toBe('failed');
    expect(session.error.message).toMatch(/Planning failed: .*its plan is invalid: plan\.tasks\[0\]\.dependsOn/);
    // The first plan and two repairs per planning attempt; the planning job's retries replay them from durable steps.
    expect(server.calls).toHaveLength(3);
  });

  it('runs a tool loop: the model asks for tools, the handlers run (a failing one reports back), the final answer is the output', async () => {
    await stack.addWorker({}, 'worker', TOOL_WORKER);
    server.enqueue(...lookupLoop());
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'ask', capabilities: ['tool_loop'], input: { question: 'What are a and broken?' } }] } });
    const session = await stack.waitForSession(sessionId, undefined, 60_000);
    expect(session.status).toBe('completed');
    expect(task(session, 'ask').output).toEqual({ answer: LOOKUP_ANSWER, calls: 2, toolCalls: 2, model: 'default-model' });
    expect(server.calls).toHaveLength(2);
    expect(server.calls[0].body.tools).toEqual([
      {
        type: 'function',
        function: { name: 'lookup', description: 'Looks a key up in the test table', parameters: expect.objectContaining({ required: ['key'] }) },
      },
    ]);
    expect(server.calls[1].body.messages.slice(-2)).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: '{"key":"a","value":"value of a"}' },
      { role: 'tool', tool_call_id: 'c2', content: '{"error":"the table has no row \\"broken\\""}' },
    ]);
    let tools: any[] = [];
    for (const deadline = Date.now() + 10_000; tools.length < 2 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      tools = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs?source=agent`)).body.entries.filter((e: any) =>
        e.message.startsWith('tool '),
      );
    }
    expect(tools.map((e: any) => [e.message, e.context.tool, e.context.arguments, e.context.error])).toEqual([
      ['tool called', 'lookup', { key: 'a' }, undefined],
      ['tool failed', 'lookup', { key: 'broken' }, 'the table has no row "broken"'],
    ]);
    expect(tools[0].context.durationMs).toEqual(expect.any(Number));
  });

  it('durable steps: a worker SIGKILLed after two of three model calls; its successor skips them, the server sees three calls in all', async () => {
    for (const w of stack.workers.slice(1)) await w.stop('SIGTERM');
    const doomed = await stack.addWorker({ TOOL_SLEEP_MS: '60000' }, 'worker', TOOL_WORKER);
    server.handle((call, index) =>
      index === 0
        ? { toolCalls: [{ id: 'c1', name: 'lookup', arguments: { key: 'fast' } }] }
        : index === 1
          ? { toolCalls: [{ id: 'c2', name: 'lookup', arguments: { key: 'slow' } }] }
          : { text: `done after ${call.body.messages.filter((m) => m.role === 'tool').length} tool results` },
    );
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'ask', capabilities: ['tool_loop'], input: { question: 'Look up fast, then slow' } }] } });
    await doomed.waitForLog('lookup sleeping', 30_000);
    expect(server.calls).toHaveLength(2);
    await doomed.stop('SIGKILL');

    const survivor = await stack.addWorker({}, 'worker', TOOL_WORKER);
    const session = await stack.waitForSession(sessionId, undefined, 60_000);
    expect(session.status).toBe('completed');
    expect(task(session, 'ask')).toMatchObject({
      attempts: 2,
      worker: { pid: survivor.pid },
      output: { answer: 'done after 2 tool results', calls: 3, toolCalls: 2 },
    });
    expect(server.calls).toHaveLength(3);
  });

  it("falls back to the agent type's next model on a 5xx", async () => {
    server.handle((call) => (call.body.model === 'big-model' ? { status: 503, error: 'overloaded' } : json({ summary: 'from the small one', findings: [] })));
    const session = await stack.waitForSession(await orchestrate({ plan: { tasks: [{ id: 'r', capabilities: ['web_research'] }] } }), undefined, 60_000);
    expect(session.status).toBe('completed');
    expect(task(session, 'r').output).toMatchObject({ summary: 'from the small one', model: 'small-model' });
    expect(server.calls.map((c) => c.body.model)).toEqual(['big-model', 'small-model']);
    let entries: any[] = [];
    for (const deadline = Date.now() + 10_000; entries.length === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      entries = (await stack.request('GET', `/api/orchestrator/sessions/${session.id}/logs?source=agent`)).body.entries.filter((e: any) =>
        e.message.startsWith('model call failed'),
      );
    }
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'model call failed; trying the next model',
        context: expect.objectContaining({ model: 'big-model', next: 'small-model' }),
      }),
    ]);
  });

  // Last: the worker's provider remembers that this server has no schema mode.
  it('plans against a server without json_schema: refused once, then asked in JSON mode with the schema in a system message', async () => {
    server.rejectJsonSchema = true;
    server.handle(() => json({ tasks: [{ id: 'only', capabilities: ['document_creation'] }] }));
    const first = await stack.waitForSession(await orchestrate({ goal: 'Write one note' }), undefined, 60_000);
    expect(first.status).toBe('completed');
    expect(first.planning).toMatchObject({ rounds: 1, model: 'planner-model' });
    const planCalls = server.calls.filter((c) => c.body.model === 'planner-model');
    expect(planCalls.map((c) => c.body.response_format?.type)).toEqual(['json_schema', 'json_object']);
    expect(planCalls[1].body.messages[0]).toEqual({ role: 'system', content: expect.stringContaining('matches this JSON Schema') });

    server.calls.length = 0;
    await stack.waitForSession(await orchestrate({ goal: 'Write another note' }), undefined, 60_000);
    expect(server.calls.filter((c) => c.body.model === 'planner-model').map((c) => c.body.response_format?.type)).toEqual(['json_object']);
  });

  it('waits out a 429 with Retry-After and succeeds', async () => {
    server.enqueue({ status: 429, retryAfter: '1', error: 'slow down' }, json({ summary: 'after the wait', findings: [] }));
    const session = await stack.waitForSession(await orchestrate({ plan: { tasks: [{ id: 'r', capabilities: ['web_research'] }] } }), undefined, 60_000);
    expect(session.status).toBe('completed');
    expect(task(session, 'r').output).toMatchObject({ summary: 'after the wait' });
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1].at - server.calls[0].at).toBeGreaterThanOrEqual(950);
  });
});
