import type { TaskContext, TaskRun } from '@switchyard/orchestration';
import { AgentHandler } from '../sdk/agent.decorator';
import { ModelProvider } from '../models/model-provider';

/** What every model-backed built-in agent returns, plus its own fields. */
export interface ModelAgentOutput {
  /** The capability the task asked for first: what kind of work this is. */
  readonly capability: string;
  readonly text: string;
  readonly model: string;
  /** The ids of the tasks whose results this work was based on. */
  readonly basedOn: string[];
}

/** Text cut to at most `max` characters, its end marked with "..." when cut. */
export function excerpt(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function summarise(value: unknown): string {
  if (value && typeof value === 'object' && 'text' in value && typeof (value as { text: unknown }).text === 'string') {
    return excerpt((value as { text: string }).text);
  }
  return excerpt(JSON.stringify(value));
}

/** A failure a task asked for (`input.simulateFailures`), to try retries and failure policies. */
export class SimulatedFailureError extends Error {
  override readonly name = 'SimulatedFailureError';
}

/**
 * The built-in agents fail the first N runs of a task whose input has `simulateFailures: N`:
 * a way to watch retries, backoff and failure policies work without a flaky dependency.
 */
export function failIfAsked(task: TaskRun): void {
  const failures = (task.input as { simulateFailures?: unknown } | null)?.simulateFailures;
  if (typeof failures === 'number' && task.attempt <= failures) {
    throw new SimulatedFailureError(`simulated failure ${task.attempt} of ${failures} (input.simulateFailures)`);
  }
}

/** Builds the prompt for a task from its instruction, input and what it depends on. */
export function promptFor(task: TaskRun): string {
  const input = (task.input ?? {}) as Record<string, unknown>;
  const lines = [
    `Task ${task.taskId}: ${task.title ?? String(input.instruction ?? task.capabilities.join(', '))}.`,
    task.goal ? `Goal: ${task.goal}` : undefined,
    input.topic ? `Topic: ${String(input.topic)}` : undefined,
    ...Object.entries(task.dependencies).map(([id, result]) => `From ${id}: ${summarise(result)}`),
  ];
  return lines.filter(Boolean).join('\n');
}

/**
 * The base of the built-in agents: one model call per task with a prompt made from the task and
 * its dependencies' results; each agent adds the fields of its kind of work.
 */
export abstract class ModelAgent implements AgentHandler {
  protected abstract readonly role: string;

  constructor(protected readonly model: ModelProvider) {}

  async run(task: TaskRun, context: TaskContext): Promise<unknown> {
    failIfAsked(task);
    const completion = await this.model.complete({ system: this.role, prompt: promptFor(task), signal: context.signal });
    const base: ModelAgentOutput = {
      capability: task.capabilities[0],
      text: completion.text,
      model: completion.model,
      basedOn: Object.keys(task.dependencies),
    };
    context.log.info('model answered', { model: completion.model, basedOn: base.basedOn });
    return { ...base, ...this.extra(task, base) };
  }

  /** Fields particular to this agent's work. */
  protected extra(_task: TaskRun, _output: ModelAgentOutput): Record<string, unknown> {
    return {};
  }
}
