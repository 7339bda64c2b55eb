import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  OrchestrateAccepted,
  SessionLauncher,
  SessionQueries,
  SessionView,
  TemplateCatalog,
  TemplateSummary,
} from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import { OrchestrateAcceptedDto, OrchestrateRequestDto, SessionDto, SessionIdParamDto, TemplateDto } from './orchestrator.dto';

@ApiTags('orchestrator')
@Controller('api/orchestrator')
export class OrchestratorController {
  constructor(
    private readonly launcher: SessionLauncher,
    private readonly sessions: SessionQueries,
    private readonly templates: TemplateCatalog,
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

  @Get('templates')
  @ApiOperation({ summary: 'The workflow templates a session can start from, with the JSON Schema of their params' })
  @ApiOkResponse({ type: TemplateDto, isArray: true })
  listTemplates(): TemplateSummary[] {
    return this.templates.list();
  }
}
