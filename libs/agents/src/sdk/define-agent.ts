import { hostname } from 'node:os';
import { AgentDefinitionError, AgentDescriptor, RunnableAgent, TaskRun } from '@switchyard/orchestration';
import { AgentOptions } from './agent.decorator';
import type { AgentContext } from './agent-context';
import type { AgentTool } from './tools';

/** Fills in an agent's defaults and checks what it declared. */
export function describeAgent(options: AgentOptions): AgentDescriptor {
  if (!options || typeof options.type !== 'string' || options.type.length === 0) {
    throw new AgentDefinitionError('An agent needs a type');
  }
  const name = options.name ?? options.type;
  return {
    id: options.id ?? `${name}@${hostname()}:${process.pid}`,
    name,
    type: options.type,
    capabilities: [...options.capabilities],
    concurrency: options.concurrency ?? 1,
    priority: options.priority ?? 0,
    kind: options.kind ?? 'specialised',
    permission: options.permission ?? 'full',
  };
}

/** An agent written with {@link defineAgent}: what it declared for `context.ask` besides its descriptor. */
export interface DefinedAgent extends RunnableAgent {
  readonly tools?: readonly AgentTool<never>[];
  readonly maxSteps?: number;
}

/**
 * An agent written as a plain function. Hosted by a worker, its context has `ask` (see
 * AgentContext), with the tools it declared.
 */
export function defineAgent(options: AgentOptions, run: (task: TaskRun, context: AgentContext) => Promise<unknown>): DefinedAgent {
  return { descriptor: describeAgent(options), run: run as RunnableAgent['run'], tools: options.tools, maxSteps: options.maxSteps };
}
