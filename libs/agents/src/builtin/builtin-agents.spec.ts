import { ModelProvider } from '../models/model-provider';
import { taskContext, taskRun } from '../testing/task-fixtures';
import { CoderAgent, PlannerAgent, ResearcherAgent, ReviewerAgent } from './builtin-agents';

/** The worst case for what a model says: its whole prompt back. */
const echo: ModelProvider = { complete: async (request) => ({ text: request.prompt, model: 'echo' }) };

describe('the model-backed agents', () => {
  it.each([
    ['researcher', new ResearcherAgent(echo), 'document_creation'],
    ['coder', new CoderAgent(echo), 'code_generation'],
    ['reviewer', new ReviewerAgent(echo), 'code_review'],
    ['planner', new PlannerAgent(echo), 'workflow_design'],
  ])('%s: a chain of 12 grows by one excerpt of a dependency at most, never by its whole result', async (_type, agent, capability) => {
    const sizes: number[] = [];
    let previous: unknown;
    for (let step = 1; step <= 12; step++) {
      const dependencies = step === 1 ? {} : { [`step-${step - 1}`]: previous };
      previous = await agent.run(taskRun({ instruction: 'Go on' }, { taskId: `step-${step}`, capabilities: [capability], dependencies }), taskContext());
      sizes.push(JSON.stringify(previous).length);
    }
    // A prompt quotes at most 200 characters of each dependency's result (see promptFor).
    expect(Math.max(...sizes)).toBeLessThan(sizes[0] + 250);
  });
});
