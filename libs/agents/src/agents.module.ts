import { DynamicModule, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { AgentDefinitionError, HOSTED_AGENTS, RunnableAgent, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';
import { AGENT_OPTIONS, AgentHandler, AgentOptions } from './sdk/agent.decorator';
import { describeAgent } from './sdk/define-agent';
import { MODEL_PROVIDER } from './models/model-provider';
import { createModelProvider } from './models/model-provider.factory';
import { traceModelCalls, tracedModelOf } from './tracing/traced-model';
import { BUILTIN_AGENTS } from './builtin/builtin-agents';

export interface AgentsModuleOptions {
  /** Agent classes (decorated with `@Agent`) this worker hosts. @defaultValue the built-in agents */
  readonly agents?: readonly Type<AgentHandler>[];
  /** Agents written with `defineAgent`. */
  readonly functions?: readonly RunnableAgent[];
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
      inject: [...classes],
      useFactory: (...instances: AgentHandler[]): RunnableAgent[] => [
        ...classes.map((cls, i) => {
          const declared = Reflect.getMetadata(AGENT_OPTIONS, cls) as AgentOptions | undefined;
          if (!declared) throw new AgentDefinitionError(`${cls.name} is listed as an agent but has no @Agent(...) decorator`);
          const instance = instances[i];
          if (typeof instance.run !== 'function') throw new AgentDefinitionError(`${cls.name} has no run(task, context) method`);
          return { descriptor: describeAgent(declared), run: instance.run.bind(instance) };
        }),
        ...(options.functions ?? []),
      ],
    };
    return {
      module: AgentsModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: MODEL_PROVIDER,
          inject: [SWITCHYARD_CONFIG],
          // Traces on, each model call is a span with GenAI attributes (see tracing/traced-model.ts).
          useFactory: (config: SwitchyardConfig) => traceModelCalls(createModelProvider(config), tracedModelOf(config)),
        },
        ...classes,
        hosted,
      ],
      exports: [HOSTED_AGENTS, MODEL_PROVIDER],
    };
  }
}
