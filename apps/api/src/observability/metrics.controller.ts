import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ClusterMetrics, ClusterStats, figureScopeOf, Principal } from '@switchyard/orchestration';
import { ClusterStatsDto } from './logs.dto';
import { Access, CurrentPrincipal } from '../auth/access';
import { RateLimited } from '../http/openapi';

/**
 * The cluster's metrics: Prometheus text for scrapers (with a viewer key as bearer token), JSON for
 * people. Admin keys get the deployment's figures; other keys their own tenant's (see FigureScope).
 */
@RateLimited()
@Access('viewer')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: ClusterMetrics) {}

  @Get('metrics')
  @ApiTags('metrics')
  @ApiProduces('text/plain')
  @ApiOperation({
    summary: "Prometheus metrics of the whole cluster (admin keys) or of the key's tenant",
    description:
      'Task runs started / completed / failed per capability and tenant, run durations and dispatch latency (histograms), stalled jobs, lock waits and failures ' +
      '(counted in Redis by every API and worker process), queue depth and workers per queue and live agents per capability (read at scrape time), ' +
      "and this API process' own metrics (switchyard_api_*). A key below admin gets its own tenant's task metrics and the live agents per capability only.",
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4' })
  async prometheus(@CurrentPrincipal() principal: Principal, @Res() response: Response): Promise<void> {
    const body = await this.metrics.prometheus(figureScopeOf(principal));
    response.status(200).type(this.metrics.contentType).send(body);
  }

  @Get('api/orchestrator/stats')
  @Header('cache-control', 'no-store')
  @ApiTags('orchestrator')
  @ApiOperation({
    summary: 'The figures of /metrics as JSON: tasks per capability, durations, dispatch latency, queues, live agents, locks',
    description: "For a key below admin: its own tenant's tasks (with `tenant` set) and the live agents, without queues, stalled jobs and locks.",
  })
  @ApiOkResponse({ type: ClusterStatsDto })
  stats(@CurrentPrincipal() principal: Principal): Promise<ClusterStats> {
    return this.metrics.stats(figureScopeOf(principal));
  }
}
