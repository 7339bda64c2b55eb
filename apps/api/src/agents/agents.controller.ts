import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentDirectory, AgentListing, AgentRecord, CapabilityListing, figureScopeOf, Principal, SelectionAnswer } from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import { Access, CurrentPrincipal } from '../auth/access';
import { RateLimited } from '../http/openapi';
import {
  AgentDto,
  AgentFilterDto,
  AgentHeartbeatDto,
  AgentIdParamDto,
  AgentRegistrationDto,
  AgentSelectionDto,
  AgentSelectionRequestDto,
  AgentUnregisteredDto,
  CapabilityDto,
} from './agents.dto';

/** The agent registry and the capability catalog. */
@ApiTags('agents')
@RateLimited()
@Controller('api/orchestrator')
export class AgentsController {
  constructor(private readonly directory: AgentDirectory) {}

  @Access('viewer')
  @Get('agents')
  @ApiOperation({
    summary: 'The registered agents, with status, load, worker and last heartbeat',
    description:
      'An agent is `offline` once it missed heartbeats for SWITCHYARD_AGENT_TTL_MS, `draining` while its worker shuts down. ' +
      'Agents serve every tenant, so their load (`currentLoad`) is shown to admin keys only.',
  })
  @ApiOkResponse({ type: AgentDto, isArray: true })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed filter' })
  list(@Query() filter: AgentFilterDto, @CurrentPrincipal() principal: Principal): Promise<AgentListing[]> {
    return this.directory.list(filter, figureScopeOf(principal));
  }

  @Access('admin')
  @Post('agents/select')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Dry run of the selection rule for a task's requirements",
    description:
      'Keeps agents of the asked type, active, below their max load, with every capability and allowed to take them; then the highest priority, then the lowest load. Says why every other agent was not chosen. ' +
      "Admin keys only: its answer shows the agents' load, which is every tenant's work.",
  })
  @ApiOkResponse({ type: AgentSelectionDto })
  @ApiBadRequestResponse({ type: ProblemDto })
  select(@Body() body: AgentSelectionRequestDto): Promise<SelectionAnswer> {
    return this.directory.select(body);
  }

  @Access('viewer')
  @Get('agents/:id')
  @ApiOperation({ summary: 'One agent (its `currentLoad` for admin keys only)' })
  @ApiOkResponse({ type: AgentDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No agent with this id is registered' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not an agent id' })
  get(@Param() params: AgentIdParamDto, @CurrentPrincipal() principal: Principal): Promise<AgentListing> {
    return this.directory.get(params.id, figureScopeOf(principal));
  }

  @Access('admin')
  @Post('agents')
  @ApiOperation({
    summary: "Register an agent run outside Switchyard's workers",
    description:
      'It announces the agent and its capabilities (declaring custom ones in the catalog) and shows in the registry; it must heartbeat (POST agents/:id/heartbeat) at least every SWITCHYARD_AGENT_TTL_MS to stay active. ' +
      "It pulls its tasks over HTTP (POST agents/:id/tasks/next, then heartbeat, complete or fail under the task's lease; see docs/remote-agents.md), " +
      "its registering key's tenant's tasks only. Workers hand it the tasks of its capabilities' queues.",
  })
  @ApiCreatedResponse({ type: AgentDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'Malformed body, unknown capability, or a capability its kind or permission level may not take' })
  @ApiConflictResponse({ type: ProblemDto, description: 'A live agent already has this id' })
  register(@Body() body: AgentRegistrationDto, @CurrentPrincipal() principal: Principal): Promise<AgentRecord> {
    return this.directory.register(body, principal.tenant);
  }

  @Access('admin')
  @Post('agents/:id/heartbeat')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Keep an agent registered over REST alive, and report its load' })
  @ApiOkResponse({ type: AgentDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No agent with this id is registered' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not an agent id, or the body is malformed' })
  heartbeat(@Param() params: AgentIdParamDto, @Body() body: AgentHeartbeatDto): Promise<AgentRecord> {
    return this.directory.heartbeat(params.id, body.currentLoad);
  }

  @Access('admin')
  @Delete('agents/:id')
  @ApiOperation({
    summary: 'Unregister an agent',
    description:
      'It takes no new task (its worker notices at its next heartbeat and stops pulling queues no other agent of it takes); its running tasks finish.',
  })
  @ApiOkResponse({ type: AgentUnregisteredDto })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No agent with this id is registered' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not an agent id' })
  unregister(@Param() params: AgentIdParamDto): Promise<{ id: string; unregistered: true }> {
    return this.directory.unregister(params.id);
  }

  @Access('viewer')
  @Get('capabilities')
  @ApiOperation({
    summary: 'The capability catalog: built-in and custom capabilities, with how many live agents (active: hosted by a worker, or remote) offer each',
  })
  @ApiOkResponse({ type: CapabilityDto, isArray: true })
  capabilities(): Promise<CapabilityListing[]> {
    return this.directory.capabilities();
  }
}
