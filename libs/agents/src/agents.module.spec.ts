import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BUILTIN_CAPABILITIES, HOSTED_AGENTS, RunnableAgent, SwitchyardConfigModule } from '@switchyard/orchestration';
import { AgentsModule } from './agents.module';
import { Agent } from './sdk/agent.decorator';
import { taskContext, taskRun } from './testing/task-fixtures';
import { MODEL_PROVIDER } from './models/model-provider';
import { OfflineModelProvider } from './models/offline-model.provider';
import { OpenAiCompatibleModelProvider } from './models/openai-compatible.provider';

const context = () => taskContext();

async function hosted(options?: Parameters<typeof AgentsModule.register>[0]): Promise<RunnableAgent[]> {
  const moduleRef = await Test.createTestingModule({ imports: [SwitchyardConfigModule, AgentsModule.register(options)] }).compile();
  return moduleRef.get<RunnableAgent[]>(HOSTED_AGENTS);
}

describe('AgentsModule', () => {
  it('hosts the four model-backed agents and the three tool agents, each catalog capability taken by exactly one', async () => {
    const agents = await hosted();
    expect(agents.map((a) => a.descriptor.type)).toEqual(['planner', 'researcher', 'coder', 'reviewer', 'files', 'http', 'data']);
    const declared = agents.flatMap((a) => a.descriptor.capabilities);
    expect([...declared].sort()).toEqual(BUILTIN_CAPABILITIES.map((c) => c.name).sort());
    const owner = (capability: string) => agents.find((a) => a.descriptor.capabilities.includes(capability))!.descriptor.type;
    // Each model-backed type covers its own category.
    for (const [category, type] of [
      ['planning', 'planner'],
      ['research', 'researcher'],
      ['communication', 'researcher'],
    ]) {
      for (const c of BUILTIN_CAPABILITIES.filter((c) => c.category === category)) expect(owner(c.name)).toBe(type);
    }
    expect(['code_generation', 'code_refactoring', 'testing'].map(owner)).toEqual(['coder', 'coder', 'coder']);
    expect(['code_review', 'pattern_recognition', 'error_diagnosis'].map(owner)).toEqual(['reviewer', 'reviewer', 'reviewer']);
    expect(['file_operations', 'api_integration', 'data_analysis', 'database_operations'].map(owner)).toEqual(['files', 'http', 'data', 'coder']);
  });

  it('gives the agents the model provider SWITCHYARD_MODEL_PROVIDER names', async () => {
    const provider = async (env: Record<string, string>) => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        const moduleRef = await Test.createTestingModule({ imports: [SwitchyardConfigModule, AgentsModule.register()] }).compile();
        return moduleRef.get(MODEL_PROVIDER);
      } finally {
        process.env = saved;
      }
    };
    expect(await provider({})).toBeInstanceOf(OfflineModelProvider);
    expect(
      await provider({ SWITCHYARD_MODEL_PROVIDER: 'openai', SWITCHYARD_MODEL: 'llama3.1', SWITCHYARD_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }),
    ).toBeInstanceOf(OpenAiCompatibleModelProvider);
  });

  it('runs the planner on a goal and the others on a task, through the model provider', async () => {
    const [planner, researcher] = await hosted();
    const plan = (await planner.run(
      {
        sessionId: 's',
        taskId: 'plan',
        capabilities: ['task_decomposition'],
        input: { goal: 'Write a report' },
        dependencies: {},
        goal: 'Write a report',
        attempt: 1,
      },
      context(),
    )) as { plan: { tasks: unknown[] }; model: string };
    // A model's plan (here the offline model's: drafted from the goal) for the planning step to validate.
    expect(plan.plan.tasks.length).toBeGreaterThanOrEqual(3);
    expect(plan.model).toBe('switchyard-offline-1');
    const output = await researcher.run(
      {
        sessionId: 's',
        taskId: 'draft',
        capabilities: ['document_creation'],
        input: {},
        dependencies: { research: { text: 'AOF logs every write' } },
        attempt: 1,
      },
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

  it('gives custom agents the providers of the modules in imports', async () => {
    @Injectable()
    class Greeting {
      readonly text = 'hello';
    }
    @Module({ providers: [Greeting], exports: [Greeting] })
    class GreetingModule {}
    @Agent({ type: 'greeter', capabilities: ['greeting'] })
    class GreeterAgent {
      constructor(private readonly greeting: Greeting) {}
      async run(task: { input: unknown }) {
        return `${this.greeting.text} ${String(task.input)}`;
      }
    }
    await expect(hosted({ agents: [GreeterAgent] })).rejects.toThrow(/Greeting/);
    const [greeter] = await hosted({ agents: [GreeterAgent], imports: [GreetingModule] });
    await expect(greeter.run(taskRun('world'), context())).resolves.toBe('hello world');
  });
});
