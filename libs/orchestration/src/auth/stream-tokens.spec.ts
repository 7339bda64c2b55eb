import { createHash } from 'node:crypto';
import { SessionNotFoundError } from '../errors/errors';
import { Principal } from './api-keys';
import { StreamTokens, StreamTokenStorage } from './stream-tokens';

const ACME_SESSION = '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33';
const OTHER_ACME_SESSION = '0-00000000-0000-4000-8000-000000000001';
const viewer: Principal = { keyId: 'viewer', role: 'viewer', tenant: 'acme' };
const stranger: Principal = { keyId: 'globex-viewer', role: 'viewer', tenant: 'globex' };
const platformAdmin: Principal = { keyId: 'root', role: 'admin', tenant: 'platform' };

/** Redis as the tokens use it: strings with a TTL, which a test can let lapse. */
class FakeStorage implements StreamTokenStorage {
  readonly entries = new Map<string, { value: string; seconds: number }>();
  reads = 0;

  async set(key: string, value: string, expiry: 'EX', seconds: number): Promise<'OK'> {
    expect(expiry).toBe('EX');
    this.entries.set(key, { value, seconds });
    return 'OK';
  }

  async get(key: string): Promise<string | null> {
    this.reads++;
    return this.entries.get(key)?.value ?? null;
  }

  expireAll(): void {
    this.entries.clear();
  }
}

function setup() {
  const storage = new FakeStorage();
  const owners = new Map([
    [ACME_SESSION, 'acme'],
    [OTHER_ACME_SESSION, 'acme'],
  ]);
  const tokens = new StreamTokens(
    storage,
    {
      // SessionQueries' rule, over the owners above.
      requireVisible: async (id, principal) => {
        const owner = owners.get(id);
        if (owner === undefined || (owner !== principal.tenant && principal.role !== 'admin')) throw new SessionNotFoundError(id);
      },
    },
    { prefix: 'sy', ttlSeconds: 300, now: () => Date.parse('2026-12-06T12:00:00.000Z') },
  );
  return { storage, tokens };
}

describe('StreamTokens', () => {
  it("issues a 256-bit token for a session of the caller's tenant, stored by its SHA-256 under the global tag with the TTL", async () => {
    const { storage, tokens } = setup();
    const issued = await tokens.issue(ACME_SESSION, viewer);
    expect(issued).toEqual({ token: expect.stringMatching(/^syst_[A-Za-z0-9_-]{43}$/), sessionId: ACME_SESSION, expiresAt: '2026-12-06T12:05:00.000Z' });
    const digest = createHash('sha256').update(issued.token).digest('hex');
    expect([...storage.entries.keys()]).toEqual([`{sy}:_sy:stream-token:${digest}`]);
    const [{ value, seconds }] = storage.entries.values();
    expect(seconds).toBe(300);
    expect(JSON.parse(value)).toEqual({ sessionId: ACME_SESSION, keyId: 'viewer', role: 'viewer', tenant: 'acme' });
    expect(value).not.toContain(issued.token);
    expect((await tokens.issue(ACME_SESSION, viewer)).token).not.toBe(issued.token);
  });

  it("answers a session of another tenant exactly as a missing one, and stores nothing; admins see every tenant's", async () => {
    const { storage, tokens } = setup();
    await expect(tokens.issue(ACME_SESSION, stranger)).rejects.toEqual(new SessionNotFoundError(ACME_SESSION));
    await expect(tokens.issue(ACME_SESSION, stranger)).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(tokens.issue('0-00000000-0000-4000-8000-00000000dead', viewer)).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(storage.entries.size).toBe(0);
    const issued = await tokens.issue(ACME_SESSION, platformAdmin);
    expect(await tokens.check(issued.token, ACME_SESSION)).toEqual({ accepted: true, principal: platformAdmin });
  });

  it('accepts a token for its own session only, as the key that asked for it', async () => {
    const { tokens } = setup();
    const { token } = await tokens.issue(ACME_SESSION, viewer);
    expect(await tokens.check(token, ACME_SESSION)).toEqual({ accepted: true, principal: viewer });
    expect(await tokens.check(token, OTHER_ACME_SESSION)).toEqual({ accepted: false, refusal: 'other_session' });
  });

  it('refuses a malformed token without asking Redis, and an expired or unknown one', async () => {
    const { storage, tokens } = setup();
    const { token } = await tokens.issue(ACME_SESSION, viewer);
    for (const malformed of [undefined, '', 'garbage', ['a', 'b'], `${token}x`, token.replace('syst_', 'sy_'), `sy_${'A'.repeat(43)}`]) {
      expect(await tokens.check(malformed, ACME_SESSION)).toEqual({ accepted: false, refusal: 'malformed' });
    }
    expect(storage.reads).toBe(0);
    storage.expireAll();
    expect(await tokens.check(token, ACME_SESSION)).toEqual({ accepted: false, refusal: 'unknown' });
    expect(await tokens.check(`syst_${'A'.repeat(43)}`, ACME_SESSION)).toEqual({ accepted: false, refusal: 'unknown' });
  });
});
