import { TaskTimeoutError } from '../errors/errors';
import { RunnableAgent, StateHandle, TaskContext, TaskLogger, TaskRun } from '../agents/agent-contract';
import type { WorkerIdentity } from '../sessions/session.types';
import type { RunAbort } from '../runtime/run-abort';

/** The signal of a run that nothing can abort (no job signal and no timeout). */
const NEVER = new AbortController().signal;

/**
 * What an agent's {@link TaskContext} is made of. Its state handle and logger are made when the
 * agent first touches them: most runs use neither, and making both would cost every task a few
 * kilobytes of allocations.
 */
export interface RunContextParts {
  readonly shared: TaskContext['shared'];
  readonly state: () => StateHandle;
  readonly log: () => TaskLogger;
  readonly worker: WorkerIdentity;
  readonly tenant: string;
  /** The task's durable steps (see StepStore). */
  readonly step: TaskContext['step'];
  readonly emit: TaskContext['emit'];
  readonly recordUsage: TaskContext['recordUsage'];
}

/**
 * The context an agent's run gets; `state`, `log` and `signal` are enumerable getters, so a
 * spread copy still has them. The signal is made when first read (see {@link RunAbort}).
 */
function runContext(parts: RunContextParts, signal: () => AbortSignal): TaskContext {
  let state: StateHandle | undefined;
  let log: TaskLogger | undefined;
  return {
    shared: parts.shared,
    get state() {
      return (state ??= parts.state());
    },
    get log() {
      return (log ??= parts.log());
    },
    get signal() {
      return signal();
    },
    worker: parts.worker,
    tenant: parts.tenant,
    step: parts.step,
    emit: parts.emit,
    recordUsage: parts.recordUsage,
  };
}

/**
 * Runs an agent with an AbortSignal that fires when the run is aborted (its session cancelled)
 * or when the task's timeout passes; a timeout rejects with {@link TaskTimeoutError} even if the
 * agent ignores its signal. Without a timeout the agent gets the run's own signal, made only if
 * it reads it; with one, the run's abort is forwarded to the timeout's controller by a listener
 * removed when the run ends (AbortSignal.any allocates and tracks more, on every task).
 */
export async function invokeAgent(
  agent: RunnableAgent,
  task: TaskRun,
  context: RunContextParts,
  options: { abort?: RunAbort; timeoutMs?: number },
): Promise<unknown> {
  const { abort, timeoutMs } = options;
  if (!timeoutMs)
    return agent.run(
      task,
      runContext(context, () => abort?.signal ?? NEVER),
    );

  const controller = new AbortController();
  const stopForwarding = abort?.onAbort(() => controller.abort(abort.reason));
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
    run = agent.run(
      task,
      runContext(context, () => controller.signal),
    );
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
    stopForwarding?.();
    // The losing promise may still reject later; nobody waits for it.
    run?.catch(() => undefined);
  }
}
