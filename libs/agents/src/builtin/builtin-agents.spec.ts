import type { TaskContext } from '@switchyard/orchestration';
import { ChatAnswer, ChatRequest, completeByChat, ModelProvider } from '../models/model-provider';
import { ModelOutputError } from '../models/model-errors';
import { OfflineModelProvider } from '../models/offline-model.provider';
import { configWithTools, taskContext, taskRun } from '../testing/task-fixtures';
import { CoderAgent, PlannerAgent, ResearcherAgent, ReviewerAgent } from './builtin-agents';

/** A model that answers from a script, one reply per call, and fails on a call it was not given a reply for. */
function scripted(...replies: string[]): ModelProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  const model = {
    requests,
    chat: async (request: ChatRequest): Promise<ChatAnswer> => {
      requests.push(request);
      const text = replies.shift();
      if (text === undefined) throw new Error(`unexpected model call ${requests.length}`);
      request.onDelta?.(text);
      return { text, toolCalls: [], model: 'scripted', usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 } };
    },
    complete: (request: Parameters<ModelProvider['complete']>[0]) => completeByChat(model, request),
  };
  return model;
}

const config = (promptMaxTokens = 16_000) => {
  const base = configWithTools({});
  return { ...base, models: { ...base.models, promptMaxTokens } };
};

/** A context that records its log entries, deltas and usage. */
function recording(): TaskContext & { entries: [string, Record<string, unknown> | undefined][]; deltas: string[]; usage: unknown[] } {
  const entries: [string, Record<string, unknown> | undefined][] = [];
  const deltas: string[] = [];
  const usage: unknown[] = [];
  const log = (message: string, context?: Record<string, unknown>) => void entries.push([message, context]);
  return Object.assign(taskContext(), {
    log: { debug: log, info: log, warn: log, error: log },
    emit: (text: string) => void deltas.push(text),
    recordUsage: (u: unknown) => void usage.push(u),
    entries,
    deltas,
    usage,
  });
}

describe('the model-backed agents', () => {
  it("reviewer: the verdict is the model's, asked for as structured output", async () => {
    const model = scripted('{"verdict":"changes_requested","comments":["the tests do not cover errors"]}');
    const context = recording();
    const output = await new ReviewerAgent(model, config()).run(
      taskRun({}, { capabilities: ['code_review'], dependencies: { implement: { text: 'done' } } }),
      context,
    );
    expect(output).toMatchObject({
      capability: 'code_review',
      verdict: 'changes_requested',
      comments: ['the tests do not cover errors'],
      model: 'scripted',
      basedOn: ['implement'],
    });
    expect(model.requests[0].responseFormat).toMatchObject({
      name: 'review',
      schema: { properties: { verdict: { enum: ['approved', 'changes_requested'] } } },
    });
    expect(context.deltas.join('')).toContain('changes_requested');
    expect(context.usage).toEqual([{ model: 'scripted', promptTokens: 10, completionTokens: 5, totalTokens: 15 }]);
  });

  it("coder: the code and the test results are the model's", async () => {
    const model = scripted('{"language":"python","code":"print(1)","explanation":"prints one"}', '{"testsRun":4,"testsFailed":1,"report":"one fails"}');
    const coder = new CoderAgent(model, config());
    expect(await coder.run(taskRun({}, { capabilities: ['code_generation'] }), taskContext())).toMatchObject({
      code: 'print(1)',
      language: 'python',
      text: 'prints one',
    });
    expect(await coder.run(taskRun({}, { capabilities: ['testing'] }), taskContext())).toMatchObject({ testsRun: 4, testsFailed: 1, text: 'one fails' });
  });

  it('an answer that does not parse is a ModelOutputError, and the retry asks the model again', async () => {
    const model = scripted('{"summary": 3}', '{"summary":"AOF","findings":["fsync every second"]}');
    const agent = new ResearcherAgent(model, config());
    const context = taskContext();
    const task = taskRun({ topic: 'AOF' }, { capabilities: ['web_research'] });
    const failed = agent.run(task, context);
    await expect(failed).rejects.toBeInstanceOf(ModelOutputError);
    await expect(failed).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('summary: Invalid input') });
    expect(await agent.run(task, context)).toMatchObject({ summary: 'AOF', findings: ['fsync every second'] });
    // The answer that parsed is a durable step: a third run replays it.
    expect(await agent.run(task, context)).toMatchObject({ summary: 'AOF' });
    expect(model.requests).toHaveLength(2);
  });

  it("gets the dependencies' full results and the shared context, trimmed by tokens with a log entry", async () => {
    const long = 'x'.repeat(4000);
    const model = scripted('plain', 'plain');
    const task = taskRun({}, { capabilities: ['document_creation'], dependencies: { a: { text: long, code: 'let a = 1' }, b: 'short' } });
    const context = Object.assign(recording(), { shared: { audience: 'operators' } });
    await new ResearcherAgent(model, config()).run(task, context);
    const prompt = model.requests[0].messages[1].content;
    expect(prompt).toContain(`From a: ${long}\n{"code":"let a = 1"}`);
    expect(prompt).toContain('From b: short');
    expect(prompt).toContain('Context: {"audience":"operators"}');
    expect(context.entries.map(([m]) => m)).not.toContain('prompt trimmed to fit SWITCHYARD_PROMPT_MAX_TOKENS');

    const small = Object.assign(recording(), { shared: { audience: 'operators' } });
    await new ResearcherAgent(model, config(300)).run(task, small);
    const trimmed = model.requests[1].messages[1].content;
    expect(trimmed.length).toBeLessThanOrEqual(300 * 4);
    expect(trimmed).toContain('From b: short');
    expect(trimmed).toContain('...[trimmed]');
    const entry = small.entries.find(([m]) => m === 'prompt trimmed to fit SWITCHYARD_PROMPT_MAX_TOKENS');
    expect(entry?.[1]).toMatchObject({ maxTokens: 300, trimmed: [{ part: 'a', fromTokens: expect.any(Number), toTokens: expect.any(Number) }] });
  });

  it('offline: deterministic answers in every shape, usage reported, plans drafted from the goal', async () => {
    const offline = new OfflineModelProvider();
    const run = async () => {
      const context = recording();
      const review = await new ReviewerAgent(offline, config()).run(taskRun({}, { capabilities: ['code_review'] }), context);
      return { review, usage: context.usage };
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first.review).toMatchObject({ verdict: 'approved', comments: [expect.stringContaining('switchyard-offline-1')] });
    expect(first.usage).toEqual([
      { model: 'switchyard-offline-1', promptTokens: expect.any(Number), completionTokens: expect.any(Number), totalTokens: expect.any(Number) },
    ]);
    const plan = await new PlannerAgent(offline, config()).run(
      taskRun({ goal: 'Write a report on Redis' }, { taskId: 'plan', capabilities: ['task_decomposition'] }),
      taskContext(),
    );
    expect(plan).toMatchObject({ model: 'switchyard-offline-1', plan: { tasks: expect.arrayContaining([expect.objectContaining({ id: 'research' })]) } });
  });

  it("planner: asks for the plan contract's JSON Schema; a repair hands back the plan and the validator's messages", async () => {
    const model = scripted('{"tasks":[{"id":"a","capabilities":["web_research"],"dependsOn":["nope"]}]}');
    const planner = new PlannerAgent(model, config());
    const repair = { round: 1, plan: { tasks: [] }, issues: [{ path: 'plan.tasks', message: 'needs at least one task' }] };
    const proposal = await planner.run(taskRun({ goal: 'g', repair }, { taskId: 'plan', capabilities: ['task_decomposition'] }), taskContext());
    expect(proposal).toMatchObject({ model: 'scripted', plan: { tasks: [{ id: 'a' }] } });
    const request = model.requests[0];
    expect(request.responseFormat).toMatchObject({ name: 'switchyard_plan', schema: { $defs: { Plan: { required: ['tasks'] } } } });
    expect(request.messages.slice(1)).toEqual([
      { role: 'user', content: 'Plan the goal: g' },
      { role: 'assistant', content: '{"tasks":[]}' },
      { role: 'user', content: 'That plan is invalid:\n- plan.tasks: needs at least one task\nAnswer the whole plan again, repaired.' },
    ]);
  });
});
