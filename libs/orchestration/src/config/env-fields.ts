import { z } from 'zod';

/** A whole number from the environment within [min, max]; every message names the variable. */
export const intFromEnv = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);
