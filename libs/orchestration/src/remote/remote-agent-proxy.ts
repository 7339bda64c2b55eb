import type { AgentDescriptor, RunnableAgent, TaskContext, TaskRun } from '../agents/agent-contract';
import type { RemoteTaskBroker } from './remote-task-broker';

/**
 * A worker's stand-in for a remote agent (registered over REST, pulling work over HTTP): its run
 * parks the task for the agent and waits for the agent's complete or fail (RemoteTaskBroker).
 * Everything around the run (fetch, decode, write-back, exceptions) is the engine's, as for any
 * hosted agent: an output goes through the same checks and write-back, an error through the same
 * retries and failure policy.
 */
export class RemoteAgentProxy implements RunnableAgent {
  constructor(
    readonly descriptor: AgentDescriptor,
    private readonly broker: Pick<RemoteTaskBroker, 'run'>,
  ) {}

  async run(task: TaskRun, context: TaskContext): Promise<unknown> {
    // Visible in the session's log: a task waiting for its agent to pull it shows as running.
    context.log.info('waiting for a remote agent to pull the task', { tenant: context.tenant });
    const { output } = await this.broker.run(
      context.tenant,
      {
        sessionId: task.sessionId,
        taskId: task.taskId,
        ...(task.title === undefined ? {} : { title: task.title }),
        capabilities: task.capabilities,
        input: task.input,
        dependencies: task.dependencies,
        ...(task.missing ? { missing: task.missing } : {}),
        ...(task.goal === undefined ? {} : { goal: task.goal }),
        attempt: task.attempt,
        shared: context.shared,
      },
      context.signal,
      // The task's record names the stand-in the selection chose; any agent of the tenant with
      // its capabilities may have pulled it.
      (puller) => context.log.info(`pulled by remote agent ${puller}`, { remoteAgentId: puller }),
    );
    return output;
  }
}
