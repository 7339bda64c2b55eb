import { ChatAnswer, ChatRequest, completeByChat, ModelProvider, ToolCall } from '../models/model-provider';
import { ToolLoopError } from '../models/model-errors';
import { taskContext } from '../testing/task-fixtures';
import { converse } from './converse';
import { defineTool } from './tools';

/** A model that answers from a script: tool calls or text, one per call; an unscripted call fails. */
function scripted(...replies: (string | ToolCall[])[]): ModelProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  const model = {
    requests,
    chat: async (request: ChatRequest): Promise<ChatAnswer> => {
      requests.push({ ...request, messages: [...request.messages] });
      const reply = replies.shift();
      if (reply === undefined) throw new Error(`unexpected model call ${requests.length}`);
      const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };
      return typeof reply === 'string' ? { text: reply, toolCalls: [], model: 'm', usage } : { text: '', toolCalls: reply, model: 'm', usage };
    },
    complete: (request: Parameters<ModelProvider['complete']>[0]) => completeByChat(model, request),
  };
  return model;
}

const add = defineTool<{ a: number; b: number }>({
  name: 'add',
  description: 'Adds two numbers',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
  handler: async ({ a, b }) => {
    if (a < 0) throw new Error('only positive numbers');
    return { sum: a + b };
  },
});

function logged() {
  const entries: [string, Record<string, unknown> | undefined][] = [];
  const log = (message: string, context?: Record<string, unknown>) => void entries.push([message, context]);
  return Object.assign(taskContext(), { log: { debug: log, info: log, warn: log, error: log }, entries });
}

describe('converse: the model -> tools -> model loop', () => {
  it('runs the tools the model asks for and hands their results (or their errors) back; each call is a log entry', async () => {
    const model = scripted(
      [
        { id: 'c1', name: 'add', arguments: '{"a":1,"b":2}' },
        { id: 'c2', name: 'add', arguments: '{"a":-1,"b":2}' },
      ],
      [{ id: 'c3', name: 'nope', arguments: '{}' }],
      'The sum is 3',
    );
    const context = logged();
    const answer = await converse(model, context, { system: 's', prompt: 'add 1 and 2', tools: [add] });
    expect(answer).toMatchObject({ text: 'The sum is 3', calls: 3, toolCalls: 3, usage: { totalTokens: 15 } });
    expect(model.requests[0].tools).toEqual([{ name: 'add', description: 'Adds two numbers', parameters: add.parameters }]);
    expect(model.requests[1].messages.slice(2)).toEqual([
      { role: 'assistant', content: '', toolCalls: [expect.objectContaining({ id: 'c1' }), expect.objectContaining({ id: 'c2' })] },
      { role: 'tool', toolCallId: 'c1', content: '{"sum":3}' },
      { role: 'tool', toolCallId: 'c2', content: '{"error":"only positive numbers"}' },
    ]);
    expect(model.requests[2].messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'c3', content: '{"error":"no tool named \\"nope\\" (the tools are: add)"}' });
    expect(context.entries.filter(([m]) => m.startsWith('tool'))).toEqual([
      ['tool called', { tool: 'add', callId: 'c1', arguments: { a: 1, b: 2 }, durationMs: expect.any(Number) }],
      ['tool failed', { tool: 'add', callId: 'c2', arguments: { a: -1, b: 2 }, durationMs: expect.any(Number), error: 'only positive numbers' }],
      ['tool failed', { tool: 'nope', callId: 'c3', arguments: {}, durationMs: expect.any(Number), error: 'no tool named "nope" (the tools are: add)' }],
    ]);
  });

  it('stops after maxSteps model calls', async () => {
    const call = [{ id: 'c', name: 'add', arguments: '{"a":1,"b":1}' }];
    await expect(converse(scripted(call, call), taskContext(), { prompt: 'p', tools: [add], maxSteps: 2 })).rejects.toBeInstanceOf(ToolLoopError);
  });

  it('replays finished model and tool calls from their durable steps', async () => {
    let runs = 0;
    const counted = defineTool({ ...add, name: 'counted', handler: async () => ++runs });
    const context = taskContext();
    const first = scripted([{ id: 'c1', name: 'counted', arguments: '{}' }], 'done');
    await converse(first, context, { prompt: 'p', tools: [counted] });
    const again = scripted();
    expect(await converse(again, context, { prompt: 'p', tools: [counted] })).toMatchObject({ text: 'done', calls: 2 });
    expect(again.requests).toHaveLength(0);
    expect(runs).toBe(1);
  });

  it('refuses a tool with a bad name or schema', () => {
    expect(() => defineTool({ ...add, name: 'has space' })).toThrow('1 to 64 letters');
    expect(() => defineTool({ ...add, parameters: { type: 'string' } })).toThrow('"type": "object"');
  });
});
