import type { components, paths } from './generated/openapi';

/**
 * The API's types, named. They come from the OpenAPI document (generated/openapi.ts, made by
 * openapi-typescript from `/docs-json`), so the client cannot drift from what the API documents.
 */
type Schemas = components['schemas'];

/** The JSON body a route answers with, for a status. */
type JsonAnswer<Operation, Status extends number> = Operation extends { responses: { [S in Status]: { content: { 'application/json': infer T } } } }
  ? T
  : never;
/** The query parameters a route takes. */
type QueryOf<Operation> = Operation extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Problem = Schemas['ProblemDto'];
export type Plan = Schemas['Plan'];
export type TaskSpec = Schemas['Task'];
export type OrchestrateRequest = Schemas['OrchestrateRequestDto'];
export type OrchestrateAccepted = Schemas['OrchestrateAcceptedDto'];
export type Session = Schemas['SessionDto'];
export type SessionStatus = Session['status'];
export type TaskState = Schemas['TaskState'];
export type TaskStatus = TaskState['status'];
export type Worker = Schemas['Worker'];
export type SessionCancelled = Schemas['SessionCancelledDto'];
export type ResolveRequest = Schemas['ResolveRequestDto'];
export type ResolveAction = ResolveRequest['action'];
export type ResolveAnswer = Schemas['ResolveAnswerDto'];
export type ForkRequest = Schemas['ForkRequestDto'];
export type ForkAccepted = Schemas['ForkAcceptedDto'];
export type SignalRequest = Schemas['SignalRequestDto'];
export type SignalAnswer = Schemas['SignalAnswerDto'];
export type ContextPatch = Schemas['ContextPatchDto'];
export type Context = Schemas['ContextDto'];
export type SessionState = Schemas['SessionStateDto'];
export type StreamToken = Schemas['StreamTokenDto'];
export type Template = Schemas['TemplateDto'];
export type InitializeAnswer = Schemas['InitializeAnswerDto'];
export type LogPage = Schemas['LogPageDto'];
export type LogEntry = LogPage['entries'][number];
export type LogLevel = LogEntry['level'];
export type LogQuery = QueryOf<paths['/api/orchestrator/sessions/{id}/logs']['get']>;
export type LogExportQuery = QueryOf<paths['/api/orchestrator/sessions/{id}/logs/export']['get']>;
export type LogStats = Schemas['LogStatsDto'];
export type ClusterStats = Schemas['ClusterStatsDto'];
export type Agent = Schemas['AgentDto'];
export type AgentQuery = QueryOf<paths['/api/orchestrator/agents']['get']>;
/**
 * `priority` and `maxLoad` may be left out (the API defaults them to 0 and 1): openapi-typescript
 * makes a field with a `default` required (its `defaultNonNullable`), right for answers only.
 */
export type AgentRegistration = Omit<Schemas['AgentRegistrationDto'], 'priority' | 'maxLoad'> &
  Partial<Pick<Schemas['AgentRegistrationDto'], 'priority' | 'maxLoad'>>;
export type AgentHeartbeat = Schemas['AgentHeartbeatDto'];
/** A task handed to a remote agent by `tasks/next`, with its lease. */
export type RemoteAssignment = Schemas['RemoteAssignmentDto'];
export type RemoteTask = RemoteAssignment['task'];
export type RemoteLease = Schemas['RemoteLeaseDto'];
export type RemoteSettled = Schemas['RemoteSettledDto'];
/** What a remote agent's `fail` reports. */
export type RemoteError = Schemas['RemoteFailDto']['error'];
export type AgentUnregistered = Schemas['AgentUnregisteredDto'];
export type AgentSelectionRequest = Schemas['AgentSelectionRequestDto'];
export type AgentSelection = Schemas['AgentSelectionDto'];
export type Capability = Schemas['CapabilityDto'];
export type Health = JsonAnswer<paths['/api/orchestrator/health']['get'], 200>;

export const FINAL_SESSION_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * `GET /api/orchestrator/sessions`: the session list's query, as the client takes it (`status` as
 * a list, which the client sends comma-separated), and its answer, as the document gives it.
 */
export interface SessionListQuery {
  /** Only sessions in these statuses. */
  status?: SessionStatus[];
  /** Only sessions created at or after this time (ISO 8601). */
  since?: string;
  /** 1 to 100. @defaultValue 20 */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export type SessionSummary = Schemas['SessionSummary'];
export type SessionList = Schemas['SessionPageDto'];

/** One event of a session's stream (`GET .../events`). */
export type SessionEvent =
  | { id: string; event: 'task'; data: TaskEventData }
  | { id: string; event: 'session'; data: SessionEventData }
  | { id: string; event: 'log'; data: LogEntry }
  | { id: string; event: 'delta'; data: DeltaEventData };

export interface TaskEventData {
  taskId: string;
  status: TaskStatus;
  attempt?: number;
  agentId?: string;
  worker?: Worker;
  at: string;
  [key: string]: unknown;
}

export interface SessionEventData {
  status: SessionStatus;
  at?: string;
  result?: unknown;
  error?: unknown;
  [key: string]: unknown;
}

export interface DeltaEventData {
  taskId: string;
  attempt: number;
  seq: number;
  text: string;
  /** Set on the one marker that says the task reached its cap of stored deltas (SWITCHYARD_MAX_TASK_DELTAS): later ones were dropped. */
  truncated?: true;
}
