import { applyDecorators, INestApplication } from '@nestjs/common';
import { ApiTooManyRequestsResponse, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { z } from 'zod';
import { ProblemDto } from './problem.dto';

/** On a controller whose routes the rate limiter guards: documents their 429. */
export const RateLimited = () =>
  applyDecorators(
    ApiTooManyRequestsResponse({
      type: ProblemDto,
      description:
        'Too many requests in the current window from this API key, or from all the keys of its tenant (the detail says which); the `Retry-After` header says how many seconds to wait',
    }),
  );

/**
 * A string or null, for a DTO's own field. nestjs-zod describes `z.string().nullable()` as
 * `type: ["string", "null"]`, which Swagger reads, on a DTO's own field, as an array of strings;
 * this says `type: "string", nullable: true` instead.
 */
export const nullableString = () => z.string().nullable().meta({ type: 'string', nullable: true });

/** Rewrites OpenAPI 3.1's `type: [T, "null"]` (nested nullable fields) as 3.0's `type: T, nullable: true`, in place. */
function nullableAs30(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(nullableAs30);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (Array.isArray(schema.type) && schema.type.length === 2 && schema.type.includes('null')) {
    schema.type = schema.type.find((type) => type !== 'null');
    schema.nullable = true;
  }
  Object.values(schema).forEach(nullableAs30);
}

interface Operation {
  requestBody?: unknown;
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDto' };

/**
 * How the `JsonValue` component (inputs, outputs, context, params, state values) is documented:
 * as any value, which is exactly what a JSON body can hold. Its zod schema's recursive union
 * (string | number | boolean | null | array | object of itself) is right for validation, but
 * openapi-fetch's request-body types collapse such a union into `{ [x: string]: undefined }`,
 * so no generated client could send a plan; an unconstrained schema becomes `unknown`.
 */
export const JSON_VALUE_COMPONENT = {
  description: 'Any JSON value: string, number, boolean, null, array or object, nested to at most SWITCHYARD_MAX_JSON_DEPTH levels',
  nullable: true,
};

/**
 * The OpenAPI document, generated from the controllers' decorators and zod schemas. Two things
 * hold for every route and are added here: errors are `application/problem+json`, and a route
 * that takes a body can answer 413 (the body parser's limit). Any JSON is one component,
 * `JsonValue` (see {@link JSON_VALUE_COMPONENT}), and nullable fields use 3.0's `nullable`.
 */
export function buildOpenApiDocument(app: INestApplication, bodyLimitBytes: number): OpenAPIObject {
  const document = cleanupOpenApiDoc(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Switchyard')
        .setDescription('Orchestration of multi-agent work on BullMQ and Redis: start sessions from a goal or a plan, watch their tasks, read their results.')
        .setVersion('0.1.0')
        // addBearerAuth would declare `bearerFormat: JWT`; the keys are opaque strings.
        .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' })
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key, as a header of its own' }, 'api-key')
        .build(),
      // Tags come from the controllers' @ApiTags only: an automatic one per controller would list
      // the routes of a controller that tags each route (metrics) a second time.
      { autoTagControllers: false },
    ),
  );
  if (document.components?.schemas?.JsonValue) document.components.schemas.JsonValue = JSON_VALUE_COMPONENT;
  nullableAs30(document.components?.schemas);
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations) as Operation[]) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        // Errors are problem+json whatever the route produces when it succeeds (e.g. SSE).
        const [documented] = Object.values(response.content ?? {});
        if (Number(status) >= 400 && documented) response.content = { 'application/problem+json': documented };
      }
      if (!operation.requestBody) continue;
      operation.responses = {
        ...operation.responses,
        '413': {
          description: `The body is larger than SWITCHYARD_BODY_LIMIT_BYTES (here ${bodyLimitBytes} bytes)`,
          content: { 'application/problem+json': { schema: PROBLEM_REF } },
        },
      };
    }
  }
  return document;
}
