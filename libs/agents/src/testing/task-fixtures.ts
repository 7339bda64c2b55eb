import { DEFAULT_TENANT, SwitchyardConfig, TaskContext, TaskRun, toSwitchyardConfig, ToolsConfig, validateEnvironment } from '@switchyard/orchestration';

/** A task as an agent would see it, for tests of agents: only `input` and what is given. */
export function taskRun(input: unknown, extra: Partial<TaskRun> = {}): TaskRun {
  return { sessionId: 'session', taskId: 'task', capabilities: [], input, dependencies: {}, attempt: 1, ...extra };
}

/**
 * A context for running an agent outside a worker: no shared state, a silent logger, and durable
 * steps kept in memory (one context: one task's runs).
 */
export function taskContext(signal: AbortSignal = new AbortController().signal, tenant: string = DEFAULT_TENANT): TaskContext {
  const steps = new Map<string, unknown>();
  return {
    shared: {},
    // Agents under test here use only the shared scope's get / set.
    state: { get: async () => undefined, set: async () => undefined } as Partial<TaskContext['state']> as TaskContext['state'],
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    signal,
    worker: { host: 'test', pid: process.pid },
    tenant,
    step: async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      if (steps.has(name)) return steps.get(name) as T;
      const result = await fn();
      steps.set(name, result);
      return result;
    },
    emit: () => undefined,
    recordUsage: () => undefined,
  };
}

/** The default configuration with some tool limits changed. */
export function configWithTools(tools: Partial<ToolsConfig>): SwitchyardConfig {
  const config = toSwitchyardConfig(validateEnvironment({}));
  return { ...config, tools: { ...config.tools, ...tools } };
}
