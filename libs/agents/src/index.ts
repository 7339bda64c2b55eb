export * from './sdk/agent.decorator';
export * from './sdk/define-agent';
export * from './models/model-provider';
export { OfflineModelProvider, OFFLINE_MODEL } from './models/offline-model.provider';
export { PlannerAgent, ResearcherAgent, CoderAgent, ReviewerAgent, BUILTIN_AGENTS } from './builtin/builtin-agents';
export { draftPlan } from './builtin/offline-planner';
export * from './agents.module';
