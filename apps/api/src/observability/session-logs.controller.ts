import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { once } from 'node:events';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { csvHeader, csvRow, LogPage, LogStats, ndjsonLine, Principal, SessionLogReader, SessionQueries } from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import { SessionIdParamDto } from '../orchestrator/orchestrator.dto';
import { LogExportQueryDto, LogPageDto, LogQueryDto, LogStatsDto } from './logs.dto';
import { Access, CurrentPrincipal } from '../auth/access';
import { RateLimited } from '../http/openapi';

/** A session's orchestration log: filtered pages, statistics and a streamed export. */
@ApiTags('orchestrator')
@RateLimited()
@Access('viewer')
@Controller('api/orchestrator/sessions/:id/logs')
export class SessionLogsController {
  constructor(
    private readonly logs: SessionLogReader,
    private readonly sessions: SessionQueries,
  ) {}

  @Get()
  @ApiOperation({
    summary: "The session's orchestration log, filtered and paginated",
    description:
      'Entries from the orchestrator, tasks, agents and the worker processes, in the order they were appended (`order=asc`, the default) or newest first. ' +
      'All given filters must match. Pass `nextCursor` back as `cursor` for the next page (with the same filters and order).',
  })
  @ApiOkResponse({ type: LogPageDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed id or query parameter; `errors` names it' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async list(@Param() params: SessionIdParamDto, @Query() query: LogQueryDto, @CurrentPrincipal() principal: Principal): Promise<LogPage> {
    await this.sessions.requireVisible(params.id, principal);
    return this.logs.query(params.id, query);
  }

  @Get('stats')
  @ApiOperation({ summary: "Counts of the session's log per level and source, its error rate, and its first and last error" })
  @ApiOkResponse({ type: LogStatsDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The id is not a session id' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async stats(@Param() params: SessionIdParamDto, @CurrentPrincipal() principal: Principal): Promise<LogStats> {
    await this.sessions.requireVisible(params.id, principal);
    return this.logs.stats(params.id);
  }

  @Get('export')
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOperation({
    summary: "Download the session's log as NDJSON or CSV",
    description:
      'Streamed: read from Redis a page at a time and written as it goes. Takes the same filters as the log and `order`. CSV columns: id, time, level, source, sessionId, taskId, agentId, workerHost, workerPid, message, context (JSON).',
  })
  @ApiOkResponse({ description: 'One entry per line (NDJSON), or a CSV file with a header row' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'A malformed id or query parameter; `errors` names it' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such session (or it has expired)' })
  async export(
    @Param() params: SessionIdParamDto,
    @Query() query: LogExportQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    await this.sessions.requireVisible(params.id, principal);
    const { format, order, ...filter } = query;
    const pages = await this.logs.pages(params.id, filter, order);
    const csv = format === 'csv';
    response.writeHead(200, {
      'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${params.id}-log.${csv ? 'csv' : 'ndjson'}"`,
      'cache-control': 'no-store',
    });
    let closed = false;
    response.on('close', () => (closed = true));
    try {
      if (csv) response.write(csvHeader());
      for await (const page of pages) {
        if (closed) break;
        const chunk = page.map(csv ? csvRow : ndjsonLine).join('');
        if (!response.write(chunk)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
      }
      response.end();
    } catch (error) {
      // The status line is gone already: cut the download short so the client sees it failed.
      response.destroy(error as Error);
    }
  }
}
