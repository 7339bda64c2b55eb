import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerLimitDetail, ThrottlerOptions } from '@nestjs/throttler';
import type { RedisThrottlerStorage, SwitchyardConfig } from '@switchyard/orchestration';
import { RATE_LIMITS, rateLimitOptions } from './rate-limits';

const config = { rateLimit: 100, tenantRateLimit: 400, rateWindowMs: 60_000 } as SwitchyardConfig;
const options = rateLimitOptions(config, {} as RedisThrottlerStorage);
const throttlers = options.throttlers as ThrottlerOptions[];
const named = (name: string) => throttlers.find((t) => t.name === name)!;
const principal = { keyId: 'ci', role: 'operator', tenant: 'globex' } as const;
const contextOf = (request: object) => ({ switchToHttp: () => ({ getRequest: () => request }) }) as unknown as ExecutionContext;
const message = (tracker: string) =>
  (options.errorMessage as (context: ExecutionContext, detail: ThrottlerLimitDetail) => string)(contextOf({}), { tracker } as ThrottlerLimitDetail);

describe('rateLimitOptions', () => {
  it('counts per API key and per tenant, in the same window', () => {
    expect(named(RATE_LIMITS.key)).toMatchObject({ limit: 100, ttl: 60_000 });
    expect(named(RATE_LIMITS.tenant)).toMatchObject({ limit: 400, ttl: 60_000 });
    expect(named(RATE_LIMITS.key).getTracker!({ principal } as never, contextOf({}))).toBe('key:ci');
    expect(named(RATE_LIMITS.tenant).getTracker!({ principal } as never, contextOf({}))).toBe('tenant:globex');
  });

  it('leaves requests without a principal to the per-key limit (by address), and 0 turns a limit off', () => {
    expect(named(RATE_LIMITS.key).getTracker!({ ip: '10.0.0.1' } as never, contextOf({}))).toBe('ip:10.0.0.1');
    expect(named(RATE_LIMITS.tenant).skipIf!(contextOf({}))).toBe(true);
    expect(named(RATE_LIMITS.tenant).skipIf!(contextOf({ principal }))).toBe(false);
    const off = rateLimitOptions({ ...config, rateLimit: 0, tenantRateLimit: 0 }, {} as RedisThrottlerStorage).throttlers as ThrottlerOptions[];
    expect(off.map((t) => t.skipIf!(contextOf({ principal })))).toEqual([true, true]);
  });

  it('says which limit a 429 is for', () => {
    expect(message('key:ci')).toBe('Too many requests: at most 100 per 60000 ms per API key; retry after the number of seconds in Retry-After');
    expect(message('tenant:globex')).toBe(
      'Too many requests for tenant "globex": at most 400 per 60000 ms per tenant, across all its API keys; retry after the number of seconds in Retry-After',
    );
  });
});
