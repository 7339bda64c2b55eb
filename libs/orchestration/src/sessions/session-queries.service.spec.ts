import { SessionNotFoundError } from '../errors/errors';
import type { Admission } from './admission.service';
import type { ShardRouter } from '../redis/shards';
import type { ListScope, SessionIndex, SessionListQuery } from './session-index.store';
import { SessionQueries } from './session-queries.service';
import type { SessionStore } from './session.store';

const ACME_ID = '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33';
const LEGACY_ID = '0-1b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33';
const MISSING_ID = '0-00000000-0000-4000-8000-000000000000';

/** SessionQueries over a store that knows two sessions and counts its reads; nothing else may be called. */
function build() {
  const tenants: Record<string, string> = { [ACME_ID]: 'acme', [LEGACY_ID]: '' };
  const reads: string[] = [];
  const store = { tenant: async (_tag: string, id: string) => (reads.push(id), tenants[id]) } as unknown as SessionStore;
  const shards = { tagOf: (id: string) => (id.startsWith('0-') ? '{sy-0}' : undefined) } as unknown as ShardRouter;
  const admission = {} as Admission;
  const listed: ListScope[] = [];
  const index = { list: async (scope: ListScope) => (listed.push(scope), { sessions: [], nextCursor: null }) } as unknown as SessionIndex;
  return { queries: new SessionQueries(shards, store, admission, index), reads, listed };
}

describe('SessionQueries.requireVisible', () => {
  const globex = { role: 'operator', tenant: 'globex' } as const;

  it("lets a principal see its own tenant's session, and an admin any tenant's", async () => {
    const { queries } = build();
    await expect(queries.requireVisible(ACME_ID, { role: 'viewer', tenant: 'acme' })).resolves.toBeUndefined();
    await expect(queries.requireVisible(ACME_ID, { role: 'admin', tenant: 'globex' })).resolves.toBeUndefined();
    await expect(queries.requireVisible(LEGACY_ID, { role: 'admin', tenant: 'globex' })).resolves.toBeUndefined();
  });

  it("answers another tenant's session as a missing one: the same error, after one read each", async () => {
    const { queries, reads } = build();
    const errorFor = (id: string) =>
      queries.requireVisible(id, globex).then(
        () => undefined,
        (error: unknown) => error,
      );
    const foreign = await errorFor(ACME_ID);
    const missing = await errorFor(MISSING_ID);
    expect(foreign).toBeInstanceOf(SessionNotFoundError);
    expect(missing).toBeInstanceOf(SessionNotFoundError);
    expect((foreign as Error).message.replace(ACME_ID, '<id>')).toBe((missing as Error).message.replace(MISSING_ID, '<id>'));
    expect(reads).toEqual([ACME_ID, MISSING_ID]);
    // A session recorded without a tenant is no tenant's but the admins'.
    await expect(queries.requireVisible(LEGACY_ID, globex)).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('refuses an id of no shard of the deployment without reading', async () => {
    const { queries, reads } = build();
    await expect(queries.requireVisible('7-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33', globex)).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(reads).toEqual([]);
  });
});

describe('SessionQueries.list', () => {
  const query: SessionListQuery = { limit: 20 };

  it("lists a viewer's or operator's own tenant's sessions, and every tenant's for an admin", async () => {
    const { queries, listed } = build();
    await queries.list({ role: 'viewer', tenant: 'acme' }, query);
    await queries.list({ role: 'operator', tenant: 'globex' }, query);
    await queries.list({ role: 'admin', tenant: 'acme' }, query);
    expect(listed).toEqual([{ tenant: 'acme' }, { tenant: 'globex' }, 'all']);
  });
});
