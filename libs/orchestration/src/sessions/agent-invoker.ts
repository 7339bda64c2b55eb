import { TaskTimeoutError } from '../errors/errors';
import { RunnableAgent, TaskContext, TaskRun } from '../agents/agent-contract';

/** The signal of a run that nothing can abort (no job signal and no timeout). */
const NEVER = new AbortController().signal;

/**
 * Runs an agent with an AbortSignal that fires when the job's own signal does (cancellation,
 * shutdown) or when the task's timeout passes; a timeout rejects with {@link TaskTimeoutError}
 * even if the agent ignores its signal. Without a timeout the agent gets the job's signal as it
 * is; with one, the job's abort is forwarded to the timeout's controller by a listener removed
 * when the run ends (AbortSignal.any allocates and tracks more, on every task).
 */
export async function invokeAgent(
  agent: RunnableAgent,
  task: TaskRun,
  context: Omit<TaskContext, 'signal'>,
  options: { signal?: AbortSignal; timeoutMs?: number },
): Promise<unknown> {
  const { signal: jobSignal, timeoutMs } = options;
  if (!timeoutMs) return agent.run(task, { ...context, signal: jobSignal ?? NEVER });

  const controller = new AbortController();
  const forward = () => controller.abort(jobSignal!.reason);
  if (jobSignal?.aborted) forward();
  else jobSignal?.addEventListener('abort', forward, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TaskTimeoutError(task.taskId, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  let run: Promise<unknown> | undefined;
  try {
    run = agent.run(task, { ...context, signal: controller.signal });
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
    jobSignal?.removeEventListener('abort', forward);
    // The losing promise may still reject later; nobody waits for it.
    run?.catch(() => undefined);
  }
}
