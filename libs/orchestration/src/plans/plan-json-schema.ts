import { z } from 'zod';
import { planSchema } from './plan.schema';

let cached: Record<string, unknown> | undefined;

/**
 * The plan contract as JSON Schema, derived from the zod schema that validates a client's plan:
 * what a model-backed planner asks the model to answer with (`response_format: json_schema`).
 * The validator checks more than the schema says (dependencies exist, no cycles, ...); those
 * issues go back to the model to repair.
 */
export function planJsonSchema(): Record<string, unknown> {
  return (cached ??= z.toJSONSchema(planSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
}
