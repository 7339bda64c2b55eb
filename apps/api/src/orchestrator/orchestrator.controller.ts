import { Body, Controller, Delete, Get, Headers, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import {
  OrchestrateAccepted,
  ResolveAnswer,
  SessionCommands,
  SessionEvents,
  SessionLauncher,
  SessionQueries,
  SessionView,
  TemplateCatalog,
  TemplateSummary,
} from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import {
  OrchestrateAcceptedDto,
  OrchestrateRequestDto,
  ResolveAnswerDto,
  ResolveRequestDto,
  SessionCancelledDto,
  SessionDto,
  SessionIdParamDto,
  TaskParamsDto,
  TemplateDto,
} from './orchestrator.dto';
import { EventsQueryDto } from '../observability/logs.dto';

@ApiTags('orchestrator')
@Controller('api/orchestrator')
export class OrchestratorController {
  constructor(
    private readonly launcher: SessionLauncher,
    private readonly sessions: SessionQueries,
    private readonly templates: TemplateCatalog,
    private readonly commands: SessionCommands,
    private readonly events: SessionEvents,
  ) {}

  @Post('orchestrate')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Start a session from a goal, an explicit plan or a workflow template',
    description: 'Answers at once; the work runs on the workers. Poll the session for its progress and result.',
  })
  @ApiAcceptedResponse({ type: OrchestrateAcceptedDto, description: 'The session was created and its first work enqueued' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The body is malformed or the plan is invalid; `errors` names every culprit' })
  orchestrate(@Body() body: OrchestrateRequestDto): Promise<OrchestrateAccepted> {
    return this.launcher.start(body);
  }

  @Get('sessions/:id')
  @ApiOperation({ summary: 'A session: status, plan with per-task state, and the result once finished' })
  @ApiOkResponse({ type: SessionDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  session(@Param() params: SessionIdParamDto): Promise<SessionView> {
    return this.sessions.get(params.id);
  }

  @Get('sessions/:id/events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Live events of a session (Server-Sent Events)',
    description:
      'Every event has an `id:` that orders the session\'s events. `event: task` carries `{ taskId, status, attempt?, agentId?, worker?, at }` on every task state change; ' +
      '`event: session` carries `{ status, at, result?, error? }` when the session\'s status changes, and the stream ends after the final one. ' +
      'Without `Last-Event-ID` the stream first replays the session\'s events from its start; with it, it resumes after that event. ' +
      'With `?logLevel=info` (or debug, warn, error, critical) the session\'s log entries at that level or above come too, as `event: log` ' +
      '(data: the log entry), merged in the order Redis appended them; every id is then `<event id>_<log id>`, and Last-Event-ID resumes both.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({ description: 'text/event-stream of `task`, `session` and (with logLevel) `log` events' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed session id, logLevel or Last-Event-ID' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async streamEvents(
    @Param() params: SessionIdParamDto,
    @Query() query: EventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const tag = await this.events.open(params.id, lastEventId);
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const sink = {
      closed: false,
      send: (event: { id: string; type: string; data: unknown }) => response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`),
      keepAlive: () => response.write(': keep-alive\n\n'),
    };
    request.on('close', () => (sink.closed = true));
    await this.events.stream(tag, params.id, lastEventId, sink, { logLevel: query.logLevel });
    response.end();
  }

  @Delete('sessions/:id')
  @ApiOperation({
    summary: 'Cancel a session',
    description: 'Nothing more starts, its waiting and delayed jobs leave their queues, and its running agents see their AbortSignal fire. Its keys are kept for SWITCHYARD_RETENTION_S, then expire. Cancelling a cancelled session again answers the same.',
  })
  @ApiOkResponse({ type: SessionCancelledDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  @ApiConflictResponse({ type: ProblemDto, description: 'The session already completed or failed' })
  cancel(@Param() params: SessionIdParamDto): Promise<{ sessionId: string; status: string }> {
    return this.commands.cancel(params.id);
  }

  @Post('sessions/:id/tasks/:taskId/resolve')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Answer a task paused for operator input',
    description: 'A task pauses when it fails its last attempt under `onFailure: "ask"`, or when it is of kind `approval`. Its branch waits; other branches go on.',
  })
  @ApiOkResponse({ type: ResolveAnswerDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed ids or body (e.g. `provide` without `output`)' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session or task' })
  @ApiConflictResponse({ type: ProblemDto, description: 'The task is not paused, or the session already finished' })
  resolve(@Param() params: TaskParamsDto, @Body() body: ResolveRequestDto): Promise<ResolveAnswer> {
    return this.commands.resolve(params.id, params.taskId, body);
  }

  @Get('templates')
  @ApiOperation({ summary: 'The workflow templates a session can start from, with the JSON Schema of their params' })
  @ApiOkResponse({ type: TemplateDto, isArray: true })
  listTemplates(): TemplateSummary[] {
    return this.templates.list();
  }
}
