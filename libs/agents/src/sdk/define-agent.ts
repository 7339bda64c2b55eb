import { hostname } from 'node:os';
import { AgentDefinitionError, AgentDescriptor, RunnableAgent, TaskContext, TaskRun } from '@switchyard/orchestration';
import { AgentOptions } from './agent.decorator';

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

/** An agent written as a plain function. */
export function defineAgent(options: AgentOptions, run: (task: TaskRun, context: TaskContext) => Promise<unknown>): RunnableAgent {
  return { descriptor: describeAgent(options), run };
}
