import { Agent, type TaskContext, type TaskRun } from '@switchyard/agents';

/** Sums up what the tasks it depends on found: the tasks that ask for `summarise` come to it. */
@Agent({ type: 'summariser', capabilities: ['summarise'], concurrency: 4 })
export class SummariserAgent {
  async run(task: TaskRun, context: TaskContext) {
    const sources = Object.entries(task.dependencies); // results of what it depends on, by task id
    context.log.info('summarising', { sources: sources.length });
    return { summary: sources.map(([id, result]) => `${id}: ${JSON.stringify(result)}`).join('\n') };
  }
}
