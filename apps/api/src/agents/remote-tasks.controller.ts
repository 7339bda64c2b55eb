import { Body, Controller, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { AgentIdParamDto } from './agents.dto';
import { Principal, RemoteAssignment, RemoteWork } from '@switchyard/orchestration';
import { Access, CurrentPrincipal } from '../auth/access';
import { ProblemDto } from '../http/problem.dto';
import { RateLimited } from '../http/openapi';
import {
  RemoteAssignmentDto,
  RemoteCompleteDto,
  RemoteFailDto,
  RemoteHeartbeatDto,
  RemoteLeaseDto,
  RemoteNextQueryDto,
  RemoteSettledDto,
  RemoteTaskParamDto,
} from './remote-tasks.dto';

const NOT_FOUND = 'No agent with this id was registered over REST by your tenant';
const CONFLICT = 'The lease is not (or no longer) held: it expired and the task went back, it was settled already, or the token is not this task’s';

/** Remote agents: agents registered over REST that pull their tasks over HTTP, under leases. */
@ApiTags('agents')
@RateLimited()
@Controller('api/orchestrator/agents/:id/tasks')
export class RemoteTasksController {
  constructor(private readonly work: RemoteWork) {}

  @Access('admin')
  @Post('next')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Long-poll for the next task of a remote agent',
    description:
      "Answers the oldest task of the agent's tenant that needs only capabilities the agent has, under a lease that lasts SWITCHYARD_REMOTE_LEASE_MS: " +
      'heartbeat before it lapses, then complete or fail. Waits up to `waitMs` for one, else 204. The poll also keeps the agent alive in the registry.',
  })
  @ApiOkResponse({ type: RemoteAssignmentDto })
  @ApiNoContentResponse({ description: 'No task arrived within waitMs' })
  @ApiNotFoundResponse({ type: ProblemDto, description: NOT_FOUND })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed agent id or waitMs' })
  async next(
    @Param() params: AgentIdParamDto,
    @Query() query: RemoteNextQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RemoteAssignment | undefined> {
    const gone = new AbortController();
    const stop = () => gone.abort();
    response.once('close', stop);
    try {
      const assignment = await this.work.next(params.id, principal.tenant, query.waitMs, gone.signal);
      if (!assignment) response.status(HttpStatus.NO_CONTENT);
      return assignment;
    } finally {
      response.off('close', stop);
    }
  }

  @Access('admin')
  @Post(':taskId/heartbeat')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Extend a remote agent's lease on its task", description: 'Send one well within each lease (SWITCHYARD_REMOTE_LEASE_MS).' })
  @ApiParam({ name: 'taskId' })
  @ApiOkResponse({ type: RemoteLeaseDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: NOT_FOUND })
  @ApiConflictResponse({ type: ProblemDto, description: CONFLICT })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed id, task id or body' })
  heartbeat(
    @Param() params: RemoteTaskParamDto,
    @Body() body: RemoteHeartbeatDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ leaseExpiresAt: string }> {
    return this.work.heartbeat(params.id, principal.tenant, params.taskId, body.leaseToken);
  }

  @Access('admin')
  @Post(':taskId/complete')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Complete a remote agent’s task with its output',
    description: 'The output goes through the same checks and write-back as a hosted agent’s (an output over SWITCHYARD_MAX_OUTPUT_BYTES fails the task).',
  })
  @ApiParam({ name: 'taskId' })
  @ApiOkResponse({ type: RemoteSettledDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: NOT_FOUND })
  @ApiConflictResponse({ type: ProblemDto, description: CONFLICT })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed id, task id or body' })
  complete(
    @Param() params: RemoteTaskParamDto,
    @Body() body: RemoteCompleteDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ taskId: string; accepted: true }> {
    return this.work.settle(params.id, principal.tenant, params.taskId, body.leaseToken, { output: body.output ?? null });
  }

  @Access('admin')
  @Post(':taskId/fail')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Fail a remote agent’s task',
    description: "The task's retries (attempts, backoffMs) and onFailure policy apply as for a hosted agent; `retryable: false` skips the retries.",
  })
  @ApiParam({ name: 'taskId' })
  @ApiOkResponse({ type: RemoteSettledDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: NOT_FOUND })
  @ApiConflictResponse({ type: ProblemDto, description: CONFLICT })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed id, task id or body' })
  fail(
    @Param() params: RemoteTaskParamDto,
    @Body() body: RemoteFailDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ taskId: string; accepted: true }> {
    return this.work.settle(params.id, principal.tenant, params.taskId, body.leaseToken, { error: body.error });
  }
}
