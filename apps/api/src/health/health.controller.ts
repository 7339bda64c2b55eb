import { Controller, Get, Headers, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ClusterHealth, FigureScope, figureScopeOf } from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';
import { presentedKey, Public } from '../auth/access';
import { AuthGuard } from '../auth/auth.guard';
import { NotRateLimited } from '../http/rate-limits';

/** Who asks for the whole picture: an admin, a key of one tenant, or anyone (no key). */
type Audience = FigureScope | 'anyone';

/**
 * A health report as `audience` may see it: anyone gets each part's up or down only; a key below
 * admin also its details except the queues (their workers and backlogs are every tenant's work);
 * admins everything.
 */
function reportFor(result: HealthCheckResult, audience: Audience): HealthCheckResult {
  if (audience === 'deployment') return result;
  const part = ({ queues: _queues, ...rest }: HealthIndicatorResult[string]) => (audience === 'anyone' ? { status: rest.status } : rest);
  const parts = (indicators: Partial<HealthIndicatorResult> | undefined): HealthIndicatorResult | undefined =>
    indicators && Object.fromEntries(Object.entries(indicators).flatMap(([name, indicator]) => (indicator ? [[name, part(indicator)]] : [])));
  return { status: result.status, info: parts(result.info), error: parts(result.error), details: parts(result.details)! };
}

/**
 * Probes for people and for Kubernetes: the whole picture, liveness and readiness. Without a key,
 * the whole picture says up or down only; its details need a key (see reportFor).
 */
@ApiTags('health')
@NotRateLimited() // probes come often and from the orchestrator's own nodes
@Public() // Kubernetes probes carry no API key
@Controller('api/orchestrator/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly cluster: ClusterHealth,
    private readonly auth: AuthGuard,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Redis reachable, at least one live worker, and each queue\'s workers and backlog',
    description:
      'Without a key: `status` and each check\'s up or down only. With a key below admin: each check\'s details without the queues. ' +
      'With an admin key: each queue\'s workers and backlog too. A key that is not valid is a 401.',
  })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'Redis does not answer, or no worker consumes any queue' })
  async check(@Headers() headers: Record<string, string | string[] | undefined>): Promise<HealthCheckResult> {
    return this.checked([() => this.redis(), () => this.workers()], this.audience(headers));
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the API process answers (restart it if this fails)' })
  @ApiOkResponse({ description: '{ "status": "ok" }' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: Redis answers, so the API can take requests (up or down only, for any caller)' })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'Redis does not answer' })
  ready(): Promise<HealthCheckResult> {
    return this.checked([() => this.redis()], 'anyone');
  }

  /** Runs the checks and answers (or fails with, as a 503) the report `audience` may see. */
  private async checked(checks: (() => Promise<HealthIndicatorResult>)[], audience: Audience): Promise<HealthCheckResult> {
    try {
      return reportFor(await this.health.check(checks), audience);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) throw new ServiceUnavailableException(reportFor(error.getResponse() as HealthCheckResult, audience));
      throw error;
    }
  }

  /** Whose view of the details the request's key gives; no key is `anyone`, a wrong one a 401. */
  private audience(headers: Record<string, string | string[] | undefined>): Audience {
    try {
      return figureScopeOf(this.auth.authenticate(headers));
    } catch (error) {
      if (presentedKey(headers) === undefined) return 'anyone';
      throw error;
    }
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
