import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { findTooDeep, SwitchyardConfig, ValidationFailedError } from '@switchyard/orchestration';

/** RFC 7396's media type of a JSON Merge Patch, which `PATCH` routes take besides `application/json`. */
export const MERGE_PATCH_JSON = 'application/merge-patch+json';

/**
 * Reads JSON request bodies: `application/json` on every route, `application/merge-patch+json` on
 * `PATCH` ones, at most `bodyLimitBytes`. A body nesting deeper than `maxJsonDepth` is refused
 * right after parsing, before any (recursive) schema validation sees it. Errors of the body
 * parser (malformed JSON, an unsupported charset or encoding) go to the problem-details filter.
 */
export function useJsonBody(app: NestExpressApplication, config: Pick<SwitchyardConfig, 'bodyLimitBytes' | 'maxJsonDepth'>): void {
  app.useBodyParser('json', {
    limit: config.bodyLimitBytes,
    type: (request: Request) => Boolean(request.is('application/json') || (request.method === 'PATCH' && request.is(MERGE_PATCH_JSON))),
  });
  app.use((request: Request, _response: Response, next: NextFunction) => {
    const tooDeep = findTooDeep(request.body, config.maxJsonDepth);
    if (!tooDeep) return next();
    next(
      new ValidationFailedError(
        [
          {
            path: tooDeep.path || '(body)',
            message: `is nested ${tooDeep.depth} deep; a body may nest at most ${config.maxJsonDepth} deep (SWITCHYARD_MAX_JSON_DEPTH)`,
          },
        ],
        'The request body is nested too deeply',
      ),
    );
  });
}
