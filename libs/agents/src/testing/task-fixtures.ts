import { DEFAULT_TENANT, SwitchyardConfig, TaskContext, TaskRun, toSwitchyardConfig, ToolsConfig, validateEnvironment } from '@switchyard/orchestration';

/** A task as an agent would see it, for tests of agents: only `input` and what is given. */
export function taskRun(input: unknown, extra: Partial<TaskRun> = {}): TaskRun {
  return { sessionId: 'session', taskId: 'task', capabilities: [], input, dependencies: {}, attempt: 1, ...extra };
}

/** A context for running an agent outside a worker: no shared state, a silent logger. */
export function taskContext(signal: AbortSignal = new AbortController().signal, tenant: string = DEFAULT_TENANT): TaskContext {
  return {
    shared: {},
    // Agents under test here use only the shared scope's get / set.
    state: { get: async () => undefined, set: async () => undefined } as Partial<TaskContext['state']> as TaskContext['state'],
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    signal,
    worker: { host: 'test', pid: process.pid },
    tenant,
    emit: () => undefined,
    recordUsage: () => undefined,
  };
}

/** The default configuration with some tool limits changed. */
export function configWithTools(tools: Partial<ToolsConfig>): SwitchyardConfig {
  const config = toSwitchyardConfig(validateEnvironment({}));
  return { ...config, tools: { ...config.tools, ...tools } };
}
