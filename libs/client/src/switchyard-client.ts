import { ClientOptions, HttpTransport } from './http-transport';
import { EventStreamOptions, sessionEvents } from './session-event-stream';
import {
  Agent,
  AgentHeartbeat,
  AgentQuery,
  AgentRegistration,
  AgentSelection,
  AgentSelectionRequest,
  AgentUnregistered,
  Capability,
  ClusterStats,
  Context,
  ContextPatch,
  FINAL_SESSION_STATUSES,
  ForkAccepted,
  ForkRequest,
  Health,
  InitializeAnswer,
  JsonValue,
  LogExportQuery,
  LogPage,
  LogQuery,
  LogStats,
  OrchestrateAccepted,
  OrchestrateRequest,
  RemoteAssignment,
  RemoteError,
  RemoteLease,
  RemoteSettled,
  ResolveAnswer,
  ResolveRequest,
  Session,
  SessionCancelled,
  SessionEvent,
  SessionList,
  SessionListQuery,
  SessionState,
  SignalAnswer,
  SignalRequest,
  StreamToken,
  Template,
} from './types';

const API = '/api/orchestrator';
const id = (value: string) => encodeURIComponent(value);

/** The session routes: read, list, cancel, resolve, signal, fork, context, state, logs, events. */
export class SessionsApi {
  constructor(private readonly http: HttpTransport) {}

  get(sessionId: string): Promise<Session> {
    return this.http.request('GET', `${API}/sessions/${id(sessionId)}`);
  }

  /** Newest first; pass the answer's `nextCursor` as `cursor` for the next page. */
  list(query: SessionListQuery = {}): Promise<SessionList> {
    return this.http.request('GET', `${API}/sessions`, { query: { ...query } });
  }

  cancel(sessionId: string): Promise<SessionCancelled> {
    return this.http.request('DELETE', `${API}/sessions/${id(sessionId)}`);
  }

  /** Answers a task paused for operator input: retry, skip, provide (with `output`) or abort. */
  resolve(sessionId: string, taskId: string, body: ResolveRequest): Promise<ResolveAnswer> {
    return this.http.request('POST', `${API}/sessions/${id(sessionId)}/tasks/${id(taskId)}/resolve`, { body });
  }

  /** Merges `patch` into the shared context (JSON Merge Patch: null removes a key); answers the whole context. */
  /** Delivers a signal to the session's task of kind `signal` that waits for it; its payload becomes that task's output. */
  signal(sessionId: string, name: string, body: SignalRequest = {}): Promise<SignalAnswer> {
    return this.http.request('POST', `${API}/sessions/${id(sessionId)}/signals/${id(name)}`, { body });
  }

  /** Forks a finished session from one of its tasks: a new session that runs that task and what waits on it again, and keeps every other output. */
  fork(sessionId: string, body: ForkRequest): Promise<ForkAccepted> {
    return this.http.request('POST', `${API}/sessions/${id(sessionId)}/fork`, { body });
  }

  patchContext(sessionId: string, patch: ContextPatch): Promise<Context> {
    return this.http.request('PATCH', `${API}/sessions/${id(sessionId)}/context`, { body: patch });
  }

  state(sessionId: string): Promise<SessionState> {
    return this.http.request('GET', `${API}/sessions/${id(sessionId)}/state`);
  }

  logs(sessionId: string, query: LogQuery = {}): Promise<LogPage> {
    return this.http.request('GET', `${API}/sessions/${id(sessionId)}/logs`, { query: { ...query } });
  }

  logStats(sessionId: string): Promise<LogStats> {
    return this.http.request('GET', `${API}/sessions/${id(sessionId)}/logs/stats`);
  }

  /** The whole filtered log as NDJSON (default) or CSV text. */
  exportLogs(sessionId: string, query: LogExportQuery = {}): Promise<string> {
    return this.http.request('GET', `${API}/sessions/${id(sessionId)}/logs/export`, { query: { ...query }, text: true });
  }

  /** A short-lived token that opens this session's event stream as `?token=` (for a browser's EventSource). */
  streamToken(sessionId: string): Promise<StreamToken> {
    return this.http.request('POST', `${API}/sessions/${id(sessionId)}/events/token`);
  }

  /** The session's events, from its start (or after `lastEventId`) to its end, resumed across dropped connections. */
  events(sessionId: string, options: EventStreamOptions = {}): AsyncGenerator<SessionEvent> {
    return sessionEvents(this.http, sessionId, options);
  }

  /** Follows the session's events until it completes, fails or is cancelled; answers the session then. */
  async wait(sessionId: string, options: Pick<EventStreamOptions, 'signal'> = {}): Promise<Session> {
    const current = await this.get(sessionId);
    if (FINAL_SESSION_STATUSES.includes(current.status)) return current;
    for await (const event of this.events(sessionId, { ...options, deltas: false })) void event;
    return this.get(sessionId);
  }
}

/** The agent registry's routes. */
export class AgentsApi {
  constructor(private readonly http: HttpTransport) {}

  list(query: AgentQuery = {}): Promise<Agent[]> {
    return this.http.request('GET', `${API}/agents`, { query: { ...query } });
  }

  get(agentId: string): Promise<Agent> {
    return this.http.request('GET', `${API}/agents/${id(agentId)}`);
  }

  register(body: AgentRegistration): Promise<Agent> {
    return this.http.request('POST', `${API}/agents`, { body });
  }

  heartbeat(agentId: string, body: AgentHeartbeat = {}): Promise<Agent> {
    return this.http.request('POST', `${API}/agents/${id(agentId)}/heartbeat`, { body });
  }

  unregister(agentId: string): Promise<AgentUnregistered> {
    return this.http.request('DELETE', `${API}/agents/${id(agentId)}`);
  }

  /** Which agent would take a task with these requirements, and why each other one would not (admins). */
  select(body: AgentSelectionRequest): Promise<AgentSelection> {
    return this.http.request('POST', `${API}/agents/select`, { body });
  }

  capabilities(): Promise<Capability[]> {
    return this.http.request('GET', `${API}/capabilities`);
  }

  /**
   * A remote agent's long poll (admin key of the agent's tenant): its next task under a lease, or
   * `undefined` when none came within `waitMs` (0 to 30000 ms, default 20000).
   */
  async nextTask(agentId: string, options: { waitMs?: number } = {}): Promise<RemoteAssignment | undefined> {
    const waitMs = options.waitMs ?? 20_000;
    return this.http.request('POST', `${API}/agents/${id(agentId)}/tasks/next`, { query: { waitMs }, timeoutMs: waitMs + 10_000 });
  }

  /** Extends a remote agent's lease on its task; a lease that lapsed throws a 409 `ApiError`. */
  heartbeatTask(agentId: string, taskId: string, leaseToken: string): Promise<RemoteLease> {
    return this.http.request('POST', `${API}/agents/${id(agentId)}/tasks/${id(taskId)}/heartbeat`, { body: { leaseToken } });
  }

  /** Completes a remote agent's task with its output (written back as a hosted agent's). */
  completeTask(agentId: string, taskId: string, leaseToken: string, output: JsonValue): Promise<RemoteSettled> {
    return this.http.request('POST', `${API}/agents/${id(agentId)}/tasks/${id(taskId)}/complete`, { body: { leaseToken, output } });
  }

  /** Fails a remote agent's task: its retries and `onFailure` apply (`retryable: false` skips the retries). */
  failTask(agentId: string, taskId: string, leaseToken: string, error: RemoteError): Promise<RemoteSettled> {
    return this.http.request('POST', `${API}/agents/${id(agentId)}/tasks/${id(taskId)}/fail`, { body: { leaseToken, error } });
  }
}

/**
 * A typed client of the Switchyard REST API, on the global `fetch`. Every method answers the
 * route's documented body, or throws an `ApiError` subclass (from the problem+json answer) or a
 * `ConnectionError` (no answer).
 *
 * @example
 * const client = new SwitchyardClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.SWITCHYARD_API_KEY });
 * const { sessionId } = await client.orchestrate({ goal: 'Write a report on Redis persistence' });
 * for await (const event of client.sessions.events(sessionId)) console.log(event.event, event.data);
 */
export class SwitchyardClient {
  readonly sessions: SessionsApi;
  readonly agents: AgentsApi;
  private readonly http: HttpTransport;

  constructor(options: ClientOptions = {}) {
    this.http = new HttpTransport(options);
    this.sessions = new SessionsApi(this.http);
    this.agents = new AgentsApi(this.http);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Starts a session from exactly one of `goal`, `plan` or `template`. With `idempotencyKey`, a retry answers the first request's session. */
  orchestrate(body: OrchestrateRequest, options: { idempotencyKey?: string } = {}): Promise<OrchestrateAccepted> {
    return this.http.request('POST', `${API}/orchestrate`, { body, headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {} });
  }

  templates(): Promise<Template[]> {
    return this.http.request('GET', `${API}/templates`);
  }

  health(): Promise<Health> {
    return this.http.request('GET', `${API}/health`);
  }

  stats(): Promise<ClusterStats> {
    return this.http.request('GET', `${API}/stats`);
  }

  /** Sets the deployment up (idempotent; admins). */
  initialize(): Promise<InitializeAnswer> {
    return this.http.request('POST', `${API}/initialize`);
  }

  /** The Prometheus exposition text of `/metrics`. */
  metrics(): Promise<string> {
    return this.http.request('GET', '/metrics', { text: true });
  }
}
