import { ApiKeyRing, hashApiKey, newApiKey, parseApiKeys, roleAllows } from './api-keys';

describe('API keys', () => {
  it('parses id:role:tenant:sha256 entries and authenticates by the key, never storing it', () => {
    const key = newApiKey();
    const other = newApiKey();
    const { entries, problems } = parseApiKeys(` ops:operator:acme:${hashApiKey(key)} , root:admin:platform:${hashApiKey(other)}`);
    expect(problems).toEqual([]);
    expect(JSON.stringify(entries)).not.toContain(key);
    const ring = new ApiKeyRing(entries);
    expect(ring.authenticate(key)).toEqual({ keyId: 'ops', role: 'operator', tenant: 'acme' });
    expect(ring.authenticate(other)).toEqual({ keyId: 'root', role: 'admin', tenant: 'platform' });
    expect(ring.authenticate(`${key}x`)).toBeUndefined();
    expect(ring.authenticate('')).toBeUndefined();
  });

  it('names every malformed entry', () => {
    const { problems } = parseApiKeys(`a:admin:t, b:root:t:${'0'.repeat(64)}, c:viewer:t:ABC, a:viewer:t:${'1'.repeat(64)}, a:viewer:t:${'2'.repeat(64)}`);
    expect(problems).toEqual([
      'entry 1 must be id:role:tenant:sha256 (got 3 fields)',
      'entry 2 (b): role must be one of viewer, operator, admin',
      "entry 3 (c): the last field must be the key's SHA-256 in lower-case hex (npm run apikey makes one)",
      'entry 5: id "a" is used twice',
    ]);
  });

  it('orders roles viewer < operator < admin', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});
