import { ExecutionContext, Injectable } from '@nestjs/common';
import { SkipThrottle, ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import type { Response } from 'express';
import type { Principal, RedisThrottlerStorage, SwitchyardConfig } from '@switchyard/orchestration';

/**
 * The two limits every request counts against. The per-key one keeps @nestjs/throttler's
 * `default` name, so its headers are the plain `X-RateLimit-*` and `Retry-After`.
 */
export const RATE_LIMITS = { key: 'default', tenant: 'tenant' } as const;

type LimitedRequest = { principal?: Principal; ip?: string };

/** Exempts a route (or a controller) from both limits. */
export const NotRateLimited = () => SkipThrottle({ [RATE_LIMITS.key]: true, [RATE_LIMITS.tenant]: true });

/**
 * Options of the throttler: `SWITCHYARD_RATE_LIMIT` per API key and `SWITCHYARD_TENANT_RATE_LIMIT`
 * per tenant across all its keys, both per `SWITCHYARD_RATE_WINDOW_MS` and counted in Redis, so
 * they hold across replicas. The auth guard runs first, so the request's principal is known.
 */
export function rateLimitOptions(config: SwitchyardConfig, storage: RedisThrottlerStorage): Exclude<ThrottlerModuleOptions, ThrottlerOptions[]> {
  const window = `per ${config.rateWindowMs} ms`;
  return {
    throttlers: [
      {
        name: RATE_LIMITS.key,
        limit: config.rateLimit,
        ttl: config.rateWindowMs,
        skipIf: () => config.rateLimit === 0,
        // Per API key once authenticated, else per client address.
        getTracker: (request: LimitedRequest) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
      },
      {
        name: RATE_LIMITS.tenant,
        limit: config.tenantRateLimit,
        ttl: config.rateWindowMs,
        skipIf: (context) => config.tenantRateLimit === 0 || !context.switchToHttp().getRequest<LimitedRequest>().principal,
        getTracker: (request: LimitedRequest) => `tenant:${request.principal!.tenant}`,
      },
    ],
    generateKey: (_context, tracker) => tracker,
    errorMessage: (_context, limit) => {
      const [kind, ...rest] = limit.tracker.split(':');
      const who = rest.join(':');
      const retry = 'retry after the number of seconds in Retry-After';
      return kind === 'tenant'
        ? `Too many requests for tenant "${who}": at most ${config.tenantRateLimit} ${window} per tenant, across all its API keys; ${retry}`
        : `Too many requests: at most ${config.rateLimit} ${window} per API key; ${retry}`;
    },
    storage,
  };
}

/** The throttler's guard, with `Retry-After` on every 429, whichever limit was hit. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, limit: ThrottlerLimitDetail): Promise<void> {
    // The library sends it as `Retry-After-<name>` for a limit not named `default`.
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(limit.timeToBlockExpire));
    throw new ThrottlerException(await this.getErrorMessage(context, limit));
  }
}
