export * from './sdk/agent.decorator';
export * from './sdk/define-agent';
export * from './models/model-provider';
export * from './models/model-rate-limiter';
export { UNLIMITED } from './models/unlimited-rate-limiter';
export * from './sdk/tools';
export { converse, jsonAnswer, DEFAULT_MAX_STEPS } from './sdk/converse';
export type { ConverseOptions, Conversation } from './sdk/converse';
export type { AgentContext, AskOptions } from './sdk/agent-context';
export { OfflineModelProvider, OFFLINE_MODEL } from './models/offline-model.provider';
export { OpenAiCompatibleModelProvider } from './models/openai-compatible.provider';
export type { OpenAiCompatibleOptions } from './models/openai-compatible.provider';
export { createModelProvider, modelsFor } from './models/model-provider.factory';
export * from './models/model-errors';
export { FileOperationsAgent, fileOperationInput } from './tools/file-operations.agent';
export { ApiIntegrationAgent, httpCallInput } from './tools/api-integration.agent';
export type { HttpCallOutput } from './tools/api-integration.agent';
export { DataAnalysisAgent, dataAnalysisInput } from './tools/data-analysis.agent';
export type { DataAnalysisOutput } from './tools/data-analysis.agent';
export { describeRows } from './tools/statistics';
export type { DatasetStats, ColumnStats } from './tools/statistics';
export { parseCsvRows, parseCsvRecords } from './tools/csv-parser';
export * from './tools/tool-errors';
export { taskRun, taskContext } from './testing/task-fixtures';
export { PlannerAgent, ResearcherAgent, CoderAgent, ReviewerAgent, BUILTIN_AGENTS, MODEL_AGENTS, TOOL_AGENTS } from './builtin/builtin-agents';
export { draftPlan } from './builtin/offline-planner';
export * from './agents.module';
export { startWorker, SwitchyardWorkerModule } from './worker/start-worker';
// The agent contract, from the engine: with these an agent needs no other import than this package.
export type {
  AgentDescriptor,
  AgentKind,
  PermissionLevel,
  RunnableAgent,
  TaskContext,
  ModelUsage,
  TaskLogger,
  TaskRun,
  TaskSpec,
  WorkerIdentity,
  StateHandle,
  SharedStateHandle,
  StateScopeHandle,
  StateTransaction,
  StateTransactionOptions,
  StateWriteOptions,
  StateRef,
  StateScope,
  Versioned,
} from '@switchyard/orchestration';
export {
  Decomposition,
  spawnSubtasks,
  DEFAULT_TENANT,
  SwitchyardError,
  ValidationFailedError,
  AgentDefinitionError,
  StateValueError,
  StatePermissionError,
  StateConflictError,
  StateLockUnavailableError,
  StateLockExpiredError,
  StateTransactionClosedError,
} from '@switchyard/orchestration';
export { MODEL_RATE_LIMITER } from './models/model-rate-limiter';
export type { ModelRateLimiter } from './models/model-rate-limiter';
export { modelRateLimiterProvider } from './models/redis-rate-limiter';
