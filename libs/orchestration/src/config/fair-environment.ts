import { z } from 'zod';
import { intFromEnv } from './env-fields';
import { jsonRecordFromEnv } from './usage-environment';

const weight = z.number({ error: 'must be a number' }).positive('must be more than 0').max(1000, 'must be at most 1000');

/**
 * The variables of fair share between tenants (see docs/fair-share.md). Part of the one
 * environment schema (see switchyard-config.ts).
 */
export const fairEnvironmentShape = {
  SWITCHYARD_TENANT_WEIGHTS: jsonRecordFromEnv('SWITCHYARD_TENANT_WEIGHTS', weight),
  SWITCHYARD_TENANT_MAX_RUNNING: intFromEnv('SWITCHYARD_TENANT_MAX_RUNNING', 0, 1_000_000).default(0),
  SWITCHYARD_FAIR_TURN_MS: intFromEnv('SWITCHYARD_FAIR_TURN_MS', 1, 3_600_000).default(1000),
  SWITCHYARD_FAIR_SHARE: z.enum(['on', 'off'], { error: 'SWITCHYARD_FAIR_SHARE must be "on" or "off"' }).default('on'),
};

type FairEnvironment = z.infer<z.ZodObject<typeof fairEnvironmentShape>>;

/** How tenants share the capability queues. */
export interface FairShareConfig {
  /** Each tenant's share of a saturated queue, relative to the others'; a tenant without one has 1. */
  readonly weights: Readonly<Record<string, number>>;
  /** Most tasks of one tenant running at once in the whole deployment; 0: no cap. @defaultValue 0 */
  readonly maxRunning: number;
  /**
   * One turn of a tenant of weight 1 on the fair-share clock: how far one queued task moves its
   * tenant's next turn on. @defaultValue 1000
   */
  readonly turnMs: number;
  /**
   * Whether task jobs take turns on the clock (`SWITCHYARD_FAIR_SHARE`). Off: each job keeps its
   * plan's priority and no clock call is made (the running cap, a separate setting, still
   * applies). @defaultValue true
   */
  readonly turns: boolean;
}

export function toFairShareConfig(env: FairEnvironment): FairShareConfig {
  return {
    weights: env.SWITCHYARD_TENANT_WEIGHTS,
    maxRunning: env.SWITCHYARD_TENANT_MAX_RUNNING,
    turnMs: env.SWITCHYARD_FAIR_TURN_MS,
    turns: env.SWITCHYARD_FAIR_SHARE === 'on',
  };
}
