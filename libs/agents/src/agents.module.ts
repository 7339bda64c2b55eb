import { DynamicModule, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { AgentDefinitionError, HOSTED_AGENTS, RunnableAgent, SWITCHYARD_CONFIG, SwitchyardConfig, TaskContext, TaskRun } from '@switchyard/orchestration';
import { AGENT_OPTIONS, AgentHandler, AgentOptions } from './sdk/agent.decorator';
import { DefinedAgent, describeAgent } from './sdk/define-agent';
import { withAsk } from './sdk/agent-context';
import { MODEL_PROVIDER, ModelProvider } from './models/model-provider';
import { createModelProvider, modelsFor } from './models/model-provider.factory';
import { MODEL_RATE_LIMITER, ModelRateLimiter } from './models/model-rate-limiter';
import { UNLIMITED } from './models/unlimited-rate-limiter';
import { modelRateLimiterProvider } from './models/redis-rate-limiter';
import { traceModelCalls, tracedModelOf } from './tracing/traced-model';
import { BUILTIN_AGENTS } from './builtin/builtin-agents';

export interface AgentsModuleOptions {
  /** Agent classes (decorated with `@Agent`) this worker hosts. @defaultValue the built-in agents */
  readonly agents?: readonly Type<AgentHandler>[];
  /** Agents written with `defineAgent`. */
  readonly functions?: readonly DefinedAgent[];
  /** Modules whose exported providers the agent classes inject (a client, a repository, ...). */
  readonly imports?: ModuleMetadata['imports'];
}

/**
 * The agents of a worker app, checked at boot: every listed class must carry `@Agent` and
 * implement `run`. Provides them as {@link HOSTED_AGENTS}, and the model provider they use.
 */
@Module({})
export class AgentsModule {
  static register(options: AgentsModuleOptions = {}): DynamicModule {
    const classes = options.agents ?? BUILTIN_AGENTS;
    const hosted: Provider = {
      provide: HOSTED_AGENTS,
      // Injecting the classes themselves makes Nest build them (with their own dependencies) first.
      inject: [MODEL_PROVIDER, SWITCHYARD_CONFIG, ...classes],
      useFactory: (model: ModelProvider, config: SwitchyardConfig, ...instances: AgentHandler[]): RunnableAgent[] => [
        ...classes.map((cls, i) => {
          const declared = Reflect.getMetadata(AGENT_OPTIONS, cls) as AgentOptions | undefined;
          if (!declared) throw new AgentDefinitionError(`${cls.name} is listed as an agent but has no @Agent(...) decorator`);
          const instance = instances[i];
          if (typeof instance.run !== 'function') throw new AgentDefinitionError(`${cls.name} has no run(task, context) method`);
          const defaults = { model, tools: declared.tools, maxSteps: declared.maxSteps, models: modelsFor(config, declared.type) };
          return { descriptor: describeAgent(declared), run: (task: TaskRun, context: TaskContext) => instance.run(task, withAsk(context, defaults)) };
        }),
        ...(options.functions ?? []).map((agent) => {
          const defaults = { model, tools: agent.tools, maxSteps: agent.maxSteps, models: modelsFor(config, agent.descriptor.type) };
          return { descriptor: agent.descriptor, run: (task: TaskRun, context: TaskContext) => agent.run(task, withAsk(context, defaults)) };
        }),
      ],
    };
    return {
      module: AgentsModule,
      imports: options.imports ?? [],
      providers: [
        // The limiter every worker shares through Redis when SWITCHYARD_MODEL_LIMITS is set, else none.
        modelRateLimiterProvider(UNLIMITED),
        {
          provide: MODEL_PROVIDER,
          inject: [SWITCHYARD_CONFIG, MODEL_RATE_LIMITER],
          // Traces on, each model call is a span with GenAI attributes (see tracing/traced-model.ts).
          useFactory: (config: SwitchyardConfig, limiter: ModelRateLimiter) => traceModelCalls(createModelProvider(config, limiter), tracedModelOf(config)),
        },
        ...classes,
        hosted,
      ],
      exports: [HOSTED_AGENTS, MODEL_PROVIDER, MODEL_RATE_LIMITER],
    };
  }
}
