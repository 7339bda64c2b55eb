import { Agent } from '@switchyard/agents';
import type { TaskContext, TaskRun } from '@switchyard/orchestration';

@Agent({ type: 'summariser', capabilities: ['data_synthesis'], concurrency: 4, priority: 10 })
export class SummariserAgent {
  async run(task: TaskRun, context: TaskContext) {
    const sources = Object.entries(task.dependencies); // results of what it depends on, by task id
    context.log.info('summarising', { sources: sources.length });
    return { summary: sources.map(([id, result]) => `${id}: ${JSON.stringify(result)}`).join('\n') };
  }
}
