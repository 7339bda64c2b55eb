import { z } from 'zod';
import { intFromEnv } from './env-fields';

/** What one model's tokens cost, in USD per million tokens. */
export interface ModelPrice {
  readonly prompt: number;
  readonly completion: number;
}

/** A model's shared rate limit: requests and tokens per minute (either may be absent). */
export interface ModelLimit {
  readonly rpm?: number;
  readonly tpm?: number;
}

const price = z.strictObject({
  prompt: z.number({ error: 'must be a number (USD per 1M prompt tokens)' }).min(0, 'must be 0 or more'),
  completion: z.number({ error: 'must be a number (USD per 1M completion tokens)' }).min(0, 'must be 0 or more'),
});

const limit = z
  .strictObject({
    rpm: z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be more than 0').optional(),
    tpm: z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be more than 0').optional(),
  })
  .refine((l) => l.rpm !== undefined || l.tpm !== undefined, 'needs rpm, tpm or both');

/**
 * A JSON object of the environment, `{ "<name>": <entry> }`, whose entries `entry` validates; every
 * message names the variable and the entry's path.
 */
export function jsonRecordFromEnv<T extends z.ZodType>(name: string, entry: T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): Record<string, z.infer<T>> => {
      if (raw === undefined) return {};
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be a JSON object` });
        return z.NEVER;
      }
      const parsed = z.record(z.string().min(1).max(200), entry).safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const at = issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
          ctx.addIssue({ code: 'custom', message: `${name}${at} ${issue.path.length > 0 ? issue.message : 'must be a JSON object'}` });
        }
        return z.NEVER;
      }
      return parsed.data as Record<string, z.infer<T>>;
    });
}

/**
 * The variables of streaming and model usage: how many deltas a task keeps, what models cost and
 * how fast all workers together may call them. Part of the one environment schema (see
 * switchyard-config.ts).
 */
export const usageEnvironmentShape = {
  SWITCHYARD_MAX_TASK_DELTAS: intFromEnv('SWITCHYARD_MAX_TASK_DELTAS', 0, 1_000_000).default(10_000),
  SWITCHYARD_MODEL_PRICES: jsonRecordFromEnv('SWITCHYARD_MODEL_PRICES', price),
  SWITCHYARD_MODEL_LIMITS: jsonRecordFromEnv('SWITCHYARD_MODEL_LIMITS', limit),
};

type UsageEnvironment = z.infer<z.ZodObject<typeof usageEnvironmentShape>>;

/** Streaming and model usage (see the `SWITCHYARD_MAX_TASK_DELTAS` and `SWITCHYARD_MODEL_*` variables). */
export interface UsageConfig {
  /**
   * Most deltas one task stores on its session's event stream, over all its attempts; later ones
   * are dropped (one marker event and one log warning say so).
   * @defaultValue 10000
   */
  readonly maxTaskDeltas: number;
  /** Prices by model name; a model without one costs 0. */
  readonly prices: Readonly<Record<string, ModelPrice>>;
  /** Shared rate limits by model name, `*` for every model without its own; empty: no limits. */
  readonly limits: Readonly<Record<string, ModelLimit>>;
}

export function toUsageConfig(env: UsageEnvironment): UsageConfig {
  return {
    maxTaskDeltas: env.SWITCHYARD_MAX_TASK_DELTAS,
    prices: env.SWITCHYARD_MODEL_PRICES,
    limits: env.SWITCHYARD_MODEL_LIMITS,
  };
}
