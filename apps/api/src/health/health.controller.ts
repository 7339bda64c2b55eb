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
 * A health report: terminus' own, whose status is also `degraded` when every check is up but
 * work waits for capabilities no live agent can take (the `agents` part, in `details`, lists them).
 */
type HealthReport = Omit<HealthCheckResult, 'status'> & { status: HealthCheckResult['status'] | 'degraded' };

/**
 * `result` with its `agents` part: `up`, or `degraded` with the capabilities that work waits for
 * and no live agent can take. Without the list (Redis did not answer, which its check reports)
 * the result as it is.
 */
function withAgents(result: HealthCheckResult, uncovered: readonly string[] | undefined): HealthReport {
  if (uncovered === undefined) return result;
  if (uncovered.length === 0) {
    const up = { status: 'up' as const };
    return { ...result, info: { ...result.info, agents: up }, details: { ...result.details, agents: up } };
  }
  // Not an indicator that is down: a missing capability must not fail the probe (see check).
  const degraded = { status: 'degraded', capabilitiesWithoutLiveAgent: uncovered } as unknown as HealthIndicatorResult[string];
  return { ...result, status: result.status === 'ok' ? 'degraded' : result.status, details: { ...result.details, agents: degraded } };
}

/**
 * A health report as `audience` may see it: anyone gets each part's up or down only; a key below
 * admin also its details except the queues (their workers and backlogs are every tenant's work);
 * admins everything.
 */
function reportFor(result: HealthReport, audience: Audience): HealthReport {
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
    summary: "Redis reachable, at least one live worker, each queue's workers and backlog, and the capabilities work waits for with no live agent",
    description:
      "Without a key: `status` and each check's up or down only. With a key below admin: each check's details without the queues. " +
      "With an admin key: each queue's workers and backlog too. A key that is not valid is a 401. " +
      '`status` is `degraded` (still a 200) when work waits for capabilities no live agent can take, listed with a key in ' +
      '`details.agents.capabilitiesWithoutLiveAgent`: those whose queue holds work, and task_decomposition, which every goal needs. ' +
      'Active agents registered over REST count: they pull their tasks over HTTP.',
  })
  @ApiOkResponse({ description: '`status` is `ok`, or `degraded` with the capabilities no live agent serves' })
  @ApiServiceUnavailableResponse({ type: ProblemDto, description: 'Redis does not answer, or no worker consumes any queue' })
  async check(@Headers() headers: Record<string, string | string[] | undefined>): Promise<HealthReport> {
    // A capability without an agent leaves the API able to take requests: the whole picture says
    // degraded, and readiness (ready) is not affected.
    const audience = this.audience(headers);
    const uncovered = this.cluster.capabilitiesWithoutLiveAgent().catch(() => undefined);
    return this.checked([() => this.redis(), () => this.workers()], audience, uncovered);
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
  ready(): Promise<HealthReport> {
    return this.checked([() => this.redis()], 'anyone');
  }

  /**
   * Runs the checks and answers (or fails with, as a 503) the report `audience` may see, with the
   * capabilities without a live agent when given (see withAgents).
   */
  private async checked(
    checks: (() => Promise<HealthIndicatorResult>)[],
    audience: Audience,
    uncovered: Promise<readonly string[] | undefined> = Promise.resolve(undefined),
  ): Promise<HealthReport> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw new ServiceUnavailableException(reportFor(withAgents(error.getResponse() as HealthCheckResult, await uncovered), audience));
    }
    return reportFor(withAgents(result, await uncovered), audience);
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
