import { Inject } from '@nestjs/common';
import { PLANNING_CAPABILITY, PLANNING_STEP_ID, spawnSubtasks, TaskContext, TaskRun } from '@switchyard/orchestration';
import { Agent } from '../sdk/agent.decorator';
import { MODEL_PROVIDER, ModelProvider } from '../models/model-provider';
import { ModelAgent, ModelAgentOutput, promptFor } from './model-agent';
import { draftPlan } from './offline-planner';
import { FileOperationsAgent } from '../tools/file-operations.agent';
import { ApiIntegrationAgent } from '../tools/api-integration.agent';
import { DataAnalysisAgent } from '../tools/data-analysis.agent';

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
    return spawnSubtasks(plan.tasks.map((t) => ({ ...t, id: prefixed(t.id), ...(t.dependsOn ? { dependsOn: t.dependsOn.map(prefixed) } : {}) })));
  }
}

/** Research and communication: finds, reads and combines sources, and writes them up. */
@Agent({
  type: 'researcher',
  capabilities: ['web_research', 'document_analysis', 'data_synthesis', 'document_creation', 'presentation', 'email_management'],
  concurrency: 4,
})
export class ResearcherAgent extends ModelAgent {
  protected readonly role = 'You research topics and write clear findings.';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider) {
    super(model);
  }
}

/**
 * Coding (code_review aside, which the reviewer takes) and database_operations; the other
 * integration capabilities belong to the tool agents, which do the work without a model.
 */
@Agent({
  type: 'coder',
  capabilities: ['code_generation', 'code_refactoring', 'testing', 'database_operations'],
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

/** Review and diagnosis: code_review and the analysis that needs judgement (patterns, errors). */
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

/** The model-backed agents: one per default type. */
export const MODEL_AGENTS = [PlannerAgent, ResearcherAgent, CoderAgent, ReviewerAgent];

/** The agents that do real work without a model: files, HTTP calls, statistics. */
export const TOOL_AGENTS = [FileOperationsAgent, ApiIntegrationAgent, DataAnalysisAgent];

/**
 * What a worker hosts by default: between them, every capability of the built-in catalog, each
 * taken by exactly one agent (so where a task runs never depends on which agent is less busy).
 */
export const BUILTIN_AGENTS = [...MODEL_AGENTS, ...TOOL_AGENTS];
