import { Body, Controller, Delete, Get, Headers, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiConflictResponse,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  DeploymentSetup,
  ForkAccepted,
  InitializeAnswer,
  OrchestrateAccepted,
  Principal,
  ResolveAnswer,
  SessionCommands,
  SessionEvents,
  SessionForker,
  SessionLauncher,
  SessionPage,
  SessionQueries,
  SessionState,
  SessionStateView,
  SessionView,
  SignalAnswer,
  StreamTokens,
  TemplateCatalog,
  TemplateSummary,
  ValidationFailedError,
  contextFrom,
  inSpan,
  SpanKind,
} from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import { RateLimited } from '../http/openapi';
import { MERGE_PATCH_JSON } from '../http/json-body';
import { Access, CurrentPrincipal, StreamTokenAccepted } from '../auth/access';
import {
  ContextDto,
  ForkAcceptedDto,
  ForkRequestDto,
  InitializeAnswerDto,
  ContextPatchDto,
  SessionStateDto,
  OrchestrateAcceptedDto,
  OrchestrateRequestDto,
  ResolveAnswerDto,
  ResolveRequestDto,
  SessionCancelledDto,
  SessionDto,
  SessionIdParamDto,
  SessionListQueryDto,
  SessionPageDto,
  SignalAnswerDto,
  SignalParamsDto,
  SignalRequestDto,
  StreamTokenDto,
  TaskParamsDto,
  TemplateDto,
} from './orchestrator.dto';
import { EventsQueryDto } from '../observability/logs.dto';

/** The `Idempotency-Key` header: absent, or 1 to 255 visible ASCII characters. */
function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new ValidationFailedError([{ path: 'header Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters (e.g. a UUID)' }]);
  }
  return value;
}

@ApiTags('orchestrator')
@RateLimited()
@Controller('api/orchestrator')
export class OrchestratorController {
  constructor(
    private readonly launcher: SessionLauncher,
    private readonly forker: SessionForker,
    private readonly sessions: SessionQueries,
    private readonly templates: TemplateCatalog,
    private readonly commands: SessionCommands,
    private readonly events: SessionEvents,
    private readonly state: SessionState,
    private readonly setup: DeploymentSetup,
    private readonly streamTokens: StreamTokens,
  ) {}

  @Access('operator')
  @Post('orchestrate')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Start a session from a goal, an explicit plan or a workflow template',
    description: 'Answers at once; the work runs on the workers. Poll the session for its progress and result.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Any unique string (1–255 visible ASCII characters, e.g. a UUID). A retry with the same key and the same body answers with the session the first request started ' +
      '(its current status, `replayed: true` and the header `Idempotent-Replayed: true`) instead of starting another. Keys are kept for SWITCHYARD_IDEMPOTENCY_TTL_S (default 24 h).',
  })
  @ApiHeader({
    name: 'traceparent',
    required: false,
    description:
      "A W3C trace context (`00-<trace id>-<span id>-<flags>`): with traces on (OTEL_EXPORTER_OTLP_ENDPOINT), the session's spans join this trace, its root span a child of this one. `tracestate` is carried along.",
  })
  @ApiAcceptedResponse({
    type: OrchestrateAcceptedDto,
    description: 'The session was created and its first work enqueued, or, for a repeated Idempotency-Key, the session it started',
  })
  @ApiBadRequestResponse({
    type: ProblemDto,
    description: 'The body is malformed, the plan is invalid or the Idempotency-Key is malformed; `errors` names every culprit',
  })
  @ApiConflictResponse({ type: ProblemDto, description: 'The first request with this Idempotency-Key is still being processed: retry in a moment' })
  @ApiUnprocessableEntityResponse({ type: ProblemDto, description: 'This Idempotency-Key was already used with a different body' })
  async orchestrate(
    @Body() body: OrchestrateRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @Headers('tracestate') tracestate: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OrchestrateAccepted> {
    // The session's trace starts here (traces on): a child of the caller's W3C trace context, if
    // it sent one; the jobs enqueued below carry this span's context to the workers.
    const parent = contextFrom({ traceparent, tracestate });
    return inSpan('orchestrate', { parent, kind: SpanKind.SERVER, attributes: { 'switchyard.tenant': principal.tenant } }, async (span) => {
      const accepted = await this.launcher.start(body, { tenant: principal.tenant, idempotencyKey: parseIdempotencyKey(idempotencyKey) });
      span?.setAttribute('switchyard.session.id', accepted.sessionId);
      if (accepted.replayed) response.setHeader('Idempotent-Replayed', 'true');
      return accepted;
    });
  }

  @Access('viewer')
  @Get('sessions')
  @ApiOperation({
    summary: 'Recent sessions, newest first',
    description:
      "A key sees its own tenant's sessions; an admin's key sees every tenant's. Filter by `status` (comma-separated) and `since` (created at or after); " +
      "page with `limit` and the answer's `nextCursor`. With a status filter few sessions match, a page may hold fewer than `limit` sessions and still have a `nextCursor`. " +
      'A session leaves the list when its keys expire (SWITCHYARD_RETENTION_S after it finished).',
  })
  @ApiOkResponse({ type: SessionPageDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'An unknown query parameter, or a malformed status, since, limit or cursor; `errors` names each' })
  listSessions(@Query() query: SessionListQueryDto, @CurrentPrincipal() principal: Principal): Promise<SessionPage> {
    return this.sessions.list(principal, query);
  }

  @Access('viewer')
  @Get('sessions/:id')
  @ApiOperation({ summary: 'A session: status, plan with per-task state, and the result once finished' })
  @ApiOkResponse({ type: SessionDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async session(@Param() params: SessionIdParamDto, @CurrentPrincipal() principal: Principal): Promise<SessionView> {
    await this.sessions.requireVisible(params.id, principal);
    return this.sessions.get(params.id);
  }

  @Access('viewer')
  @StreamTokenAccepted()
  @Get('sessions/:id/events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Live events of a session (Server-Sent Events)',
    description:
      "Every event has an `id:` that orders the session's events. `event: task` carries `{ taskId, status, attempt?, agentId?, worker?, at }` on every task state change; " +
      "`event: session` carries `{ status, at, result?, error? }` when the session's status changes, and the stream ends after the final one. " +
      "`event: delta` carries `{ taskId, attempt, seq, text }`, a piece of a task's output as its agent streams it (`seq` from 0 in each attempt); " +
      'a task keeps at most SWITCHYARD_MAX_TASK_DELTAS of them, and the first one past that is `{ taskId, attempt, seq, text: "", truncated: true }`. ' +
      '`?deltas=off` leaves them out. ' +
      "Without `Last-Event-ID` the stream first replays the session's events from its start; with it, it resumes after that event. " +
      "With `?logLevel=info` (or debug, warn, error, critical) the session's log entries at that level or above come too, as `event: log` " +
      '(data: the log entry), merged in the order Redis appended them; every id is then `<event id>_<log id>`, and Last-Event-ID resumes both. ' +
      "A browser's `EventSource` cannot send a key: it passes a stream token of this session as `?token=` instead (see `POST .../events/token`).",
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({ description: 'text/event-stream of `task`, `session`, `delta` (unless deltas=off) and (with logLevel) `log` events' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed session id, logLevel, deltas or Last-Event-ID' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async streamEvents(
    @Param() params: SessionIdParamDto,
    @Query() query: EventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.sessions.requireVisible(params.id, principal);
    const tag = await this.events.open(params.id, lastEventId);
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const sink = {
      closed: false,
      send: (event: { id: string; type: string; data: unknown }) =>
        response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`),
      keepAlive: () => response.write(': keep-alive\n\n'),
    };
    request.on('close', () => (sink.closed = true));
    await this.events.stream(tag, params.id, lastEventId, sink, { logLevel: query.logLevel, deltas: query.deltas !== 'off' });
    response.end();
  }

  @Access('viewer')
  @Post('sessions/:id/events/token')
  @ApiOperation({
    summary: "A short-lived token that opens this session's event stream, for a browser's EventSource",
    description:
      "`EventSource` cannot send headers, and API keys never go in URLs: hand the answer's `url` (the events route with `?token=`) to `new EventSource(url)`. " +
      'The token opens that one stream, as the key that asked for it, for SWITCHYARD_STREAM_TOKEN_TTL_S (default 300 s): any other route or session answers 401. ' +
      'A stream opened in time runs to its end; to reconnect after the token has expired, ask for a new one.',
  })
  @ApiCreatedResponse({ type: StreamTokenDto, description: "The token, when it expires, and the stream's URL with it" })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async streamToken(@Param() params: SessionIdParamDto, @CurrentPrincipal() principal: Principal): Promise<StreamTokenDto> {
    // issue() checks the session is the principal's, as requireVisible does on the other routes.
    const { token, expiresAt } = await this.streamTokens.issue(params.id, principal);
    return { token, expiresAt, url: `/api/orchestrator/sessions/${params.id}/events?token=${token}` };
  }

  @Access('operator')
  @Delete('sessions/:id')
  @ApiOperation({
    summary: 'Cancel a session',
    description:
      'Nothing more starts, its waiting and delayed jobs leave their queues, and its running agents see their AbortSignal fire. Its keys are kept for SWITCHYARD_RETENTION_S, then expire. Cancelling a cancelled session again answers the same.',
  })
  @ApiOkResponse({ type: SessionCancelledDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  @ApiConflictResponse({ type: ProblemDto, description: 'The session already completed or failed' })
  async cancel(@Param() params: SessionIdParamDto, @CurrentPrincipal() principal: Principal): Promise<{ sessionId: string; status: string }> {
    await this.sessions.requireVisible(params.id, principal);
    return this.commands.cancel(params.id);
  }

  @Access('operator')
  @Post('sessions/:id/tasks/:taskId/resolve')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Answer a task paused for operator input',
    description:
      'A task pauses when it fails its last attempt under `onFailure: "ask"`, or when it is of kind `approval`. Its branch waits; other branches go on.',
  })
  @ApiOkResponse({ type: ResolveAnswerDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed ids or body (e.g. `provide` without `output`)' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session or task' })
  @ApiConflictResponse({ type: ProblemDto, description: 'The task is not paused, or the session already finished' })
  async resolve(@Param() params: TaskParamsDto, @Body() body: ResolveRequestDto, @CurrentPrincipal() principal: Principal): Promise<ResolveAnswer> {
    await this.sessions.requireVisible(params.id, principal);
    return this.commands.resolve(params.id, params.taskId, body);
  }

  @Access('operator')
  @Post('sessions/:id/fork')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Fork a finished session from one of its tasks',
    description:
      "A new session with the old one's plan: `fromTask` (with `input` if given) and every task that waits on it, directly or through others (dependants, parents), run again, " +
      'as do tasks that had not completed; every other task keeps its old output without running (`completed`, `reusedFrom`). The new session carries `forkedFrom`, ' +
      "its context is the old one with `context` merged in (JSON Merge Patch), and it belongs to the old session's tenant. Works from a completed, failed or cancelled session.",
  })
  @ApiAcceptedResponse({ type: ForkAcceptedDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed id or body' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session, or no task `fromTask` in its plan' })
  @ApiConflictResponse({ type: ProblemDto, description: 'The session has not finished, or it has no plan' })
  async fork(@Param() params: SessionIdParamDto, @Body() body: ForkRequestDto, @CurrentPrincipal() principal: Principal): Promise<ForkAccepted> {
    await this.sessions.requireVisible(params.id, principal);
    return this.forker.fork(params.id, body);
  }

  @Access('operator')
  @Post('sessions/:id/signals/:name')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Deliver a signal to the task that waits for it',
    description:
      'The task of kind `signal` whose `signal` is `name` completes with `payload` as its output. A signal is delivered once: of two that arrive together, ' +
      'one is delivered and the other answers 409, as does any later one. A task takes its signal only while it waits for it (from its start, once its dependencies finished, ' +
      'until the signal or its `timeoutMs`): before or after that, or for a name no task has, the answer is 404.',
  })
  @ApiOkResponse({ type: SignalAnswerDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed session id, signal name or body' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session, or no task of it waits for this signal now' })
  @ApiConflictResponse({ type: ProblemDto, description: 'The signal was delivered already, or the session finished' })
  async signal(@Param() params: SignalParamsDto, @Body() body: SignalRequestDto, @CurrentPrincipal() principal: Principal): Promise<SignalAnswer> {
    await this.sessions.requireVisible(params.id, principal);
    return this.commands.signal(params.id, params.name, body.payload ?? null);
  }

  @Access('operator')
  @Patch('sessions/:id/context')
  @ApiConsumes('application/json', MERGE_PATCH_JSON)
  @ApiOperation({
    summary: 'Update the shared context of a running session',
    description:
      "A JSON Merge Patch (RFC 7396; sent as application/merge-patch+json or application/json) of the shared scope of the session's state, applied in a transaction that locks the keys it touches; " +
      'a concurrent write by an agent makes it read and merge again, so neither update is lost. Answers the whole shared context.',
  })
  @ApiOkResponse({ type: ContextDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id, or the body is not a JSON object within the state limits' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  @ApiConflictResponse({
    type: ProblemDto,
    description: 'The session already finished, or its keys stayed locked for longer than SWITCHYARD_STATE_LOCK_WAIT_MS',
  })
  async patchContext(
    @Param() params: SessionIdParamDto,
    @Body() body: ContextPatchDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Record<string, unknown>> {
    await this.sessions.requireVisible(params.id, principal);
    return this.state.patchContext(params.id, body);
  }

  @Access('viewer')
  @Get('sessions/:id/state')
  @ApiOperation({
    summary: "The session's state, for operators",
    description:
      'Shared and temporary entries with their versions; private scopes are always redacted to their agent and entry count (there is no authentication yet, so no caller is an admin).',
  })
  @ApiOkResponse({ type: SessionStateDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async sessionState(@Param() params: SessionIdParamDto, @CurrentPrincipal() principal: Principal): Promise<SessionStateView> {
    await this.sessions.requireVisible(params.id, principal);
    return this.state.view(params.id, { revealPrivate: principal.role === 'admin' });
  }

  @Access('admin')
  @Post('initialize')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Set the deployment up (idempotent)',
    description:
      'Records the deployment (prefix, shard count, version), makes sure every capability queue and sy.session exists in every shard with its BullMQ metadata, ' +
      'and reads the capability catalog back from Redis. A second call finds everything in place, changes nothing and says so (`changed: false`).',
  })
  @ApiOkResponse({ type: InitializeAnswerDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'The deployment was initialized with another SWITCHYARD_SHARDS than this API runs with' })
  initialize(): Promise<InitializeAnswer> {
    return this.setup.initialize();
  }

  @Access('viewer')
  @Get('templates')
  @ApiOperation({ summary: 'The workflow templates a session can start from, with the JSON Schema of their params' })
  @ApiOkResponse({ type: TemplateDto, isArray: true })
  listTemplates(): TemplateSummary[] {
    return this.templates.list();
  }
}
