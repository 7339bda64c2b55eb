import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import type { AgentKind, PermissionLevel, TaskContext, TaskRun } from '@switchyard/orchestration';
import type { AgentTool } from './tools';

export const AGENT_OPTIONS = Symbol('switchyard:agent');

/** What an agent declares about itself. */
export interface AgentOptions {
  /** The agent's type: planner, researcher, coder, reviewer or any custom type. */
  readonly type: string;
  /** Capabilities it takes; each is a queue its worker consumes. */
  readonly capabilities: readonly string[];
  /**
   * Unique id of the agent; the default combines its name with this process's host and pid.
   * @defaultValue `<name>@<host>:<pid>`
   */
  readonly id?: string;
  /** @defaultValue the type */
  readonly name?: string;
  /** Tasks it runs at once. @defaultValue 1 */
  readonly concurrency?: number;
  /** Higher is chosen first. @defaultValue 0 */
  readonly priority?: number;
  /** @defaultValue 'specialised' */
  readonly kind?: AgentKind;
  /** @defaultValue 'full' */
  readonly permission?: PermissionLevel;
  /** Tools the model may call when the agent asks it something (`context.ask`). */
  readonly tools?: readonly AgentTool<never>[];
  /** Model calls one `context.ask` may make in its tool loop. @defaultValue 8 */
  readonly maxSteps?: number;
}

/** What an agent class implements: one method. */
export interface AgentHandler {
  run(task: TaskRun, context: TaskContext): Promise<unknown>;
}

/**
 * Marks a class as a Switchyard agent (and a Nest provider, so it may inject what it needs).
 * List it in `AgentsModule.register({ agents: [...] })` of a worker app.
 */
export function Agent(options: AgentOptions): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(AGENT_OPTIONS, options));
}
