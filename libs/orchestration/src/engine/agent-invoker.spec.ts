import { RunnableAgent, TaskContext, TaskRun } from '../agents/agent-contract';
import { TaskTimeoutError } from '../errors/errors';
import { RunAbort } from '../runtime/run-abort';
import { invokeAgent, RunContextParts } from './agent-invoker';

const task = { sessionId: 's', taskId: 't', capabilities: ['c'], input: null, dependencies: {}, attempt: 1 } as unknown as TaskRun;
const parts: RunContextParts = {
  shared: {},
  state: () => {
    throw new Error('not used');
  },
  log: () => {
    throw new Error('not used');
  },
  worker: { host: 'h', pid: 1 },
  tenant: 'acme',
  step: (_name, fn) => fn(),
  emit: () => {
    throw new Error('not used');
  },
  recordUsage: () => {
    throw new Error('not used');
  },
};

/** An agent that waits until its signal fires (and rejects with its reason), or answers `done` when it is told to. */
function waitingAgent(): { agent: RunnableAgent; seen: Promise<TaskContext> } {
  let seen!: (context: TaskContext) => void;
  const agent = {
    descriptor: { id: 'a' },
    run: (_task: TaskRun, context: TaskContext) =>
      new Promise((_, reject) => {
        seen(context);
        const { signal } = context;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  } as unknown as RunnableAgent;
  return { agent, seen: new Promise((resolve) => (seen = resolve)) };
}

describe('invokeAgent', () => {
  it("gives the agent its run's signal, aborted when the run is", async () => {
    const abort = new RunAbort();
    const { agent, seen } = waitingAgent();
    const run = invokeAgent(agent, task, parts, { abort });
    await seen;
    const reason = new Error('cancelled');
    abort.abort(reason);
    await expect(run).rejects.toBe(reason);
  });

  it('makes no AbortSignal for an agent that never reads it', async () => {
    const abort = new RunAbort();
    const agent = { descriptor: { id: 'a' }, run: async () => 'done' } as unknown as RunnableAgent;
    await expect(invokeAgent(agent, task, parts, { abort })).resolves.toBe('done');
    expect((abort as unknown as { controller?: AbortController }).controller).toBeUndefined();
  });

  it("with a timeout, forwards the run's abort to the agent's signal, and stops forwarding once the run ended", async () => {
    const abort = new RunAbort();
    const { agent, seen } = waitingAgent();
    const run = invokeAgent(agent, task, parts, { abort, timeoutMs: 10_000 });
    await seen;
    abort.abort(new Error('cancelled'));
    await expect(run).rejects.toThrow('cancelled');

    const quick = new RunAbort();
    const listeners = () => (quick as unknown as { listeners?: unknown[] }).listeners?.length ?? 0;
    const answering = { descriptor: { id: 'a' }, run: async () => 'done' } as unknown as RunnableAgent;
    await expect(invokeAgent(answering, task, parts, { abort: quick, timeoutMs: 10_000 })).resolves.toBe('done');
    expect(listeners()).toBe(0);
  });

  it('rejects with TaskTimeoutError once the timeout passes, and aborts the signal with it', async () => {
    const { agent, seen } = waitingAgent();
    const run = invokeAgent(agent, task, parts, { abort: new RunAbort(), timeoutMs: 20 });
    const context = await seen;
    await expect(run).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(context.signal.reason).toBeInstanceOf(TaskTimeoutError);
  });
});
