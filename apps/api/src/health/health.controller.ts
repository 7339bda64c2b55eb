import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ClusterHealth } from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import { Public } from '../auth/access';
import { NotRateLimited } from '../http/rate-limits';

/** Probes for people and for Kubernetes: the whole picture, liveness and readiness. */
@ApiTags('health')
@NotRateLimited() // probes come often and from the orchestrator's own nodes
@Public() // Kubernetes probes carry no API key
@Controller('api/orchestrator/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly cluster: ClusterHealth,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Redis reachable, at least one live worker, and each queue\'s workers and backlog' })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'Redis does not answer, or no worker consumes any queue' })
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redis(), () => this.workers()]);
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the API process answers (restart it if this fails)' })
  @ApiOkResponse({ description: '{ "status": "ok" }' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: Redis answers, so the API can take requests' })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'Redis does not answer' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redis()]);
  }

  private async redis(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('redis');
    try {
      return indicator.up({ latencyMs: await this.cluster.pingRedis() });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  private async workers(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('workers');
    try {
      const queues = await this.cluster.queueHealth();
      return queues.some((q) => q.workers > 0)
        ? indicator.up({ queues })
        : indicator.down({ message: 'no worker consumes any queue; start one (npm run start:worker)', queues });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
