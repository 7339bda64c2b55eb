import { Inject } from '@nestjs/common';
import {
  BUILTIN_CAPABILITIES,
  PLANNING_CAPABILITY,
  PLANNING_STEP_ID,
  PlanProposal,
  PlanRepair,
  planJsonSchema,
  spawnSubtasks,
  SWITCHYARD_CONFIG,
  SwitchyardConfig,
  TaskContext,
  TaskRun,
  TaskSpec,
} from '@switchyard/orchestration';
import { z } from 'zod';
import { Agent } from '../sdk/agent.decorator';
import { ChatMessage, MODEL_PROVIDER, ModelProvider } from '../models/model-provider';
import { OfflineModelProvider } from '../models/offline-model.provider';
import { modelsFor } from '../models/model-provider.factory';
import { converse, jsonAnswer } from '../sdk/converse';
import { ModelAgent, OutputShape } from './model-agent';
import { draftPlan } from './offline-planner';
import { FileOperationsAgent } from '../tools/file-operations.agent';
import { ApiIntegrationAgent } from '../tools/api-integration.agent';
import { DataAnalysisAgent } from '../tools/data-analysis.agent';

const PLANNER_ROLE = [
  'You plan work for a team of agents. Answer with a plan: JSON {"tasks": [...]}, each task with an id, a title,',
  'the capabilities it needs (from the list below), dependsOn (ids of tasks that must finish first) and an input',
  '(an object with "instruction" saying what to do). Keep it small: the fewest tasks that reach the goal.',
  `Capabilities: ${BUILTIN_CAPABILITIES.filter((c) => c.name !== PLANNING_CAPABILITY)
    .map((c) => c.name)
    .join(', ')}.`,
].join(' ');

/**
 * Turns a goal into a plan. With a model, the model writes the plan as structured output (the
 * plan contract's JSON Schema); planning a session, the planning step validates it like a
 * client's plan and, when it is invalid, runs the planner again with `input.repair`: the model
 * gets its plan back with the validator's messages and answers a repaired one. The offline model
 * writes no plans: its plans are drafted from the goal's words (draftPlan), deterministically. As
 * a task inside a plan (a sub-goal to break down at run time), it spawns the plan's tasks as its
 * subtasks, their ids prefixed with its own.
 */
@Agent({
  type: 'planner',
  capabilities: [PLANNING_CAPABILITY, 'dependency_analysis', 'workflow_design'],
  concurrency: 4,
})
export class PlannerAgent {
  constructor(
    @Inject(MODEL_PROVIDER) private readonly model: ModelProvider,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async run(task: TaskRun, context: TaskContext): Promise<unknown> {
    const input = (task.input ?? {}) as { goal?: unknown; repair?: PlanRepair };
    const goal = typeof input.goal === 'string' ? input.goal : (task.goal ?? '');
    const models = modelsFor(this.config, 'planner');
    if (task.capabilities[0] !== PLANNING_CAPABILITY) {
      const answer = await converse(this.model, context, { system: PLANNER_ROLE, prompt: `Task ${task.taskId}: ${goal}`, models, stepPrefix: 'agent' });
      return { capability: task.capabilities[0], text: answer.text, model: answer.model, basedOn: Object.keys(task.dependencies) };
    }
    const { plan, model } = await this.propose(goal, input.repair, context);
    context.log.info('plan drafted', {
      tasks: (plan as { tasks?: unknown[] }).tasks?.length,
      model,
      ...(input.repair ? { repairOf: input.repair.round } : {}),
    });
    if (task.taskId === PLANNING_STEP_ID) return new PlanProposal(plan, model);
    const tasks = (plan as { tasks?: TaskSpec[] }).tasks ?? [];
    const prefixed = (id: string) => `${task.taskId}.${id}`;
    return spawnSubtasks(tasks.map((t) => ({ ...t, id: prefixed(t.id), ...(t.dependsOn ? { dependsOn: t.dependsOn.map(prefixed) } : {}) })));
  }

  /** The model's plan for the goal (or its repair of the plan it wrote); the offline model's is drafted. */
  private async propose(goal: string, repair: PlanRepair | undefined, context: TaskContext): Promise<{ plan: unknown; model: string }> {
    const messages: ChatMessage[] = [{ role: 'user', content: `Plan the goal: ${goal}` }];
    if (this.model instanceof OfflineModelProvider) {
      const answer = await converse(this.model, context, { system: PLANNER_ROLE, prompt: messages, stepPrefix: 'plan' });
      return { plan: draftPlan(goal), model: answer.model };
    }
    if (repair) {
      messages.push(
        { role: 'assistant', content: JSON.stringify(repair.plan) },
        {
          role: 'user',
          content: `That plan is invalid:\n${repair.issues.map((i) => `- ${i.path}: ${i.message}`).join('\n')}\nAnswer the whole plan again, repaired.`,
        },
      );
    }
    const answer = await converse(this.model, context, {
      system: PLANNER_ROLE,
      prompt: messages,
      models: modelsFor(this.config, 'planner'),
      responseFormat: { name: 'switchyard_plan', schema: planJsonSchema() },
      parse: jsonAnswer((value) => value),
      stepPrefix: `plan:r${repair ? repair.round : 0}`,
    });
    return { plan: answer.value, model: answer.model };
  }
}

const researchShape: OutputShape = {
  name: 'research_findings',
  schema: z.object({ summary: z.string(), findings: z.array(z.string()) }),
  text: (v) => v.summary as string,
};

/** Research and communication: finds, reads and combines sources, and writes them up. */
@Agent({
  type: 'researcher',
  capabilities: ['web_research', 'document_analysis', 'data_synthesis', 'document_creation', 'presentation', 'email_management'],
  concurrency: 4,
})
export class ResearcherAgent extends ModelAgent {
  protected readonly role = 'You research topics and write clear findings.';
  protected readonly type = 'researcher';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider, @Inject(SWITCHYARD_CONFIG) config: SwitchyardConfig) {
    super(model, config);
  }

  protected override shape(capability: string): OutputShape | undefined {
    return capability === 'web_research' || capability === 'document_analysis' || capability === 'data_synthesis' ? researchShape : undefined;
  }
}

const codeShape: OutputShape = {
  name: 'code',
  schema: z.object({ language: z.string(), code: z.string(), explanation: z.string() }),
  text: (v) => v.explanation as string,
};
const testShape: OutputShape = {
  name: 'test_results',
  schema: z.object({ testsRun: z.number().int().min(0), testsFailed: z.number().int().min(0), report: z.string() }),
  text: (v) => v.report as string,
};

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
  protected readonly type = 'coder';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider, @Inject(SWITCHYARD_CONFIG) config: SwitchyardConfig) {
    super(model, config);
  }

  protected override shape(capability: string): OutputShape | undefined {
    if (capability === 'testing') return testShape;
    return capability === 'code_generation' || capability === 'code_refactoring' ? codeShape : undefined;
  }
}

export const REVIEW_VERDICTS = ['approved', 'changes_requested'] as const;
const reviewShape: OutputShape = {
  name: 'review',
  schema: z.object({ verdict: z.enum(REVIEW_VERDICTS), comments: z.array(z.string()) }),
  text: (v) => (v.comments as string[]).join('\n'),
};

/** Review and diagnosis: code_review and the analysis that needs judgement (patterns, errors). */
@Agent({
  type: 'reviewer',
  capabilities: ['code_review', 'error_diagnosis', 'pattern_recognition'],
  concurrency: 4,
})
export class ReviewerAgent extends ModelAgent {
  protected readonly role = 'You review work against its goal and say what is wrong.';
  protected readonly type = 'reviewer';

  constructor(@Inject(MODEL_PROVIDER) model: ModelProvider, @Inject(SWITCHYARD_CONFIG) config: SwitchyardConfig) {
    super(model, config);
  }

  protected override shape(capability: string): OutputShape | undefined {
    return capability === 'code_review' ? reviewShape : undefined;
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
