import { hashApiKey, newApiKey, Role } from '@switchyard/orchestration/auth/api-keys';

/** The API keys every test stack is configured with: one per role in tenant acme, two in globex. */
const make = (keyId: string, role: Role, tenant: string) => ({ keyId, role, tenant, key: newApiKey() });

export const TEST_KEYS = {
  admin: make('admin', 'admin', 'acme'),
  operator: make('operator', 'operator', 'acme'),
  viewer: make('viewer', 'viewer', 'acme'),
  otherOperator: make('globex-operator', 'operator', 'globex'),
  otherViewer: make('globex-viewer', 'viewer', 'globex'),
};
export type TestKey = keyof typeof TEST_KEYS;

/** `SWITCHYARD_API_KEYS` for those keys (their hashes only, as in production). */
export const TEST_API_KEYS_ENV = Object.values(TEST_KEYS)
  .map(({ keyId, role, tenant, key }) => `${keyId}:${role}:${tenant}:${hashApiKey(key)}`)
  .join(',');

/** The header that presents a test key (the admin's by default). */
export const authHeader = (as: TestKey = 'admin') => ({ authorization: `Bearer ${TEST_KEYS[as].key}` });
