// A worker app for the model e2e tests (run from source through swc-register: tool-worker.js):
// it hosts one function agent, `toolbox` (capability `tool_loop`), that asks the model its
// task's question with a `lookup` tool. `lookup` of the key "slow" sleeps TOOL_SLEEP_MS first
// (logging `lookup sleeping`), so a test can kill the worker between two model calls.
import { defineAgent, defineTool, startWorker } from '@switchyard/agents';

const lookup = defineTool<{ key: string }>({
  name: 'lookup',
  description: 'Looks a key up in the test table',
  parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
  handler: async ({ key }, context) => {
    const sleepMs = Number(process.env.TOOL_SLEEP_MS ?? 0);
    if (key === 'slow' && sleepMs > 0) {
      context.log.info('lookup sleeping', { sleepMs });
      await new Promise((resolve) => setTimeout(resolve, sleepMs));
    }
    if (key === 'broken') throw new Error('the table has no row "broken"');
    return { key, value: `value of ${key}` };
  },
});

const toolbox = defineAgent({ type: 'toolbox', capabilities: ['tool_loop'], concurrency: 2, tools: [lookup], maxSteps: 5 }, async (task, context) => {
  const answer = await context.ask(String((task.input as { question?: unknown }).question));
  return { answer: answer.text, calls: answer.calls, toolCalls: answer.toolCalls, model: answer.model };
});

startWorker({ agents: [], functions: [toolbox] });
