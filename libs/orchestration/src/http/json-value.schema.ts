import { z } from 'zod';

/** Any JSON value: what inputs, outputs, context entries, params and state values may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The schema of any JSON value, as one named, self-referencing OpenAPI component (`JsonValue`).
 * `z.json()` would validate the same, but each DTO that uses it gets its own numbered copy
 * (`<Dto>__schema0`), which generators such as openapi-typescript turn into unusable types.
 * Its `id` is registered on the very instance the union refers to, so the recursion is a `$ref`
 * to the component itself (the API's document then describes the component as any value).
 */
export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(z.string(), jsonValueSchema)]),
);
z.globalRegistry.add(jsonValueSchema, { id: 'JsonValue', description: 'Any JSON value' });
