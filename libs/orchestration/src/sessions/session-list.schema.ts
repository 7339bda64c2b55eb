import { z } from 'zod';
import { decodeListCursor, ListPosition } from './session-index.store';
import { SESSION_STATUSES } from './session.types';

const statuses = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(SESSION_STATUSES, { error: `must be ${SESSION_STATUSES.join(', ')} (or several, comma-separated)` })).min(1, 'must name a status'));

/** GET /api/orchestrator/sessions: filters, a page size and a cursor. */
export const sessionListQuerySchema = z.object({
  status: statuses.optional().describe(`Only sessions in these statuses: ${SESSION_STATUSES.join(', ')} (comma-separated)`),
  since: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 time, like 2026-11-25T12:00:00Z' })
    .transform((v) => new Date(v).toISOString())
    .optional()
    .describe('Only sessions created at or after this time'),
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(20)
    .describe('Sessions per page (1 to 100)'),
  cursor: z
    .string()
    .transform((v, ctx) => {
      const position = decodeListCursor(v);
      if (position === undefined) ctx.addIssue({ code: 'custom', message: 'must be a nextCursor from an earlier answer' });
      return position as ListPosition;
    })
    .optional()
    .describe("The previous page's nextCursor"),
});
