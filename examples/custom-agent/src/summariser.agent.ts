import { Agent, defineTool, type AgentContext, type TaskRun } from '@switchyard/agents';

// A tool the model may call while it writes (context.ask runs the model -> tool -> model loop).
const countWords = defineTool<{ text: string }>({
  name: 'count_words',
  description: 'Counts the words of a text',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  handler: async ({ text }) => text.split(/\s+/).filter(Boolean).length,
});

/** Sums up what the tasks it depends on found: the tasks that ask for `summarise` come to it. */
@Agent({ type: 'summariser', capabilities: ['summarise'], concurrency: 4, tools: [countWords] })
export class SummariserAgent {
  async run(task: TaskRun, context: AgentContext) {
    const sources = Object.entries(task.dependencies); // results of what it depends on, by task id
    context.log.info('summarising', { sources: sources.length });
    const summary = sources.map(([id, result]) => `${id}: ${JSON.stringify(result)}`).join('\n');
    return { summary, headline: (await context.ask(`Give this a one-line headline:\n${summary}`)).text };
  }
}
