import { Test } from '@nestjs/testing';
import { HOSTED_AGENTS, RunnableAgent, SwitchyardConfigModule, TaskContext } from '@switchyard/orchestration';
import { AgentsModule } from './agents.module';
import { Agent } from './sdk/agent.decorator';

const context = (): TaskContext => ({
  shared: {},
  // The built-in agents use only the shared scope's get / set.
  state: { get: async () => undefined, set: async () => undefined } as Partial<TaskContext['state']> as TaskContext['state'],
  log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  signal: new AbortController().signal,
  worker: { host: 'test', pid: 1 },
});

async function hosted(options?: Parameters<typeof AgentsModule.register>[0]): Promise<RunnableAgent[]> {
  const moduleRef = await Test.createTestingModule({ imports: [SwitchyardConfigModule, AgentsModule.register(options)] }).compile();
  return moduleRef.get<RunnableAgent[]>(HOSTED_AGENTS);
}

describe('AgentsModule', () => {
  it('hosts the four built-in agents covering all six categories', async () => {
    const agents = await hosted();
    expect(agents.map((a) => a.descriptor.type)).toEqual(['planner', 'researcher', 'coder', 'reviewer']);
    expect(new Set(agents.flatMap((a) => a.descriptor.capabilities)).size).toBe(19);
  });

  it('runs the planner on a goal and the others on a task, through the model provider', async () => {
    const [planner, researcher] = await hosted();
    const plan = (await planner.run(
      { sessionId: 's', taskId: 'plan', capabilities: ['task_decomposition'], input: { goal: 'Write a report' }, dependencies: {}, goal: 'Write a report', attempt: 1 },
      context(),
    )) as { tasks: unknown[] };
    expect(plan.tasks.length).toBeGreaterThanOrEqual(3);
    const output = await researcher.run(
      { sessionId: 's', taskId: 'draft', capabilities: ['document_creation'], input: {}, dependencies: { research: { text: 'AOF logs every write' } }, attempt: 1 },
      context(),
    );
    expect(output).toMatchObject({ capability: 'document_creation', basedOn: ['research'] });
    expect((output as { text: string }).text).toContain('AOF logs every write');
  });

  it('refuses a class without @Agent', async () => {
    class NotAnAgent {
      async run() {
        return 1;
      }
    }
    await expect(hosted({ agents: [NotAnAgent] })).rejects.toThrow('NotAnAgent is listed as an agent but has no @Agent(...) decorator');
  });

  it('hosts a custom agent class', async () => {
    @Agent({ type: 'echo', capabilities: ['data_synthesis'], concurrency: 2 })
    class EchoAgent {
      async run(task: { input: unknown }) {
        return task.input;
      }
    }
    const [echo] = await hosted({ agents: [EchoAgent] });
    expect(echo.descriptor).toMatchObject({ type: 'echo', name: 'echo', concurrency: 2, kind: 'specialised', permission: 'full' });
  });
});
