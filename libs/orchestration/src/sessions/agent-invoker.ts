import { TaskTimeoutError } from '../errors/errors';
import { RunnableAgent, TaskContext, TaskRun } from '../agents/agent-contract';

/**
 * Runs an agent with an AbortSignal that fires when the job's own signal does (cancellation,
 * shutdown) or when the task's timeout passes; a timeout rejects with {@link TaskTimeoutError}
 * even if the agent ignores its signal.
 */
export async function invokeAgent(
  agent: RunnableAgent,
  task: TaskRun,
  context: Omit<TaskContext, 'signal'>,
  options: { signal?: AbortSignal; timeoutMs?: number },
): Promise<unknown> {
  const timeout = new AbortController();
  const signals = [timeout.signal, ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  let timer: NodeJS.Timeout | undefined;
  const run = agent.run(task, { ...context, signal });
  if (!options.timeoutMs) return run;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TaskTimeoutError(task.taskId, options.timeoutMs!);
      timeout.abort(error);
      reject(error);
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
    // The losing promise may still reject later; nobody waits for it.
    run.catch(() => undefined);
  }
}
