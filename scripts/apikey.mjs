#!/usr/bin/env node
// Makes a new API key and the SWITCHYARD_API_KEYS entry that stands for it (only its SHA-256).
// Usage: npm run apikey -- --role admin|operator|viewer --tenant <name> [--id <name>]
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const NAME = /^[A-Za-z0-9_-]{1,40}$/;
let values;
try {
  ({ values } = parseArgs({ options: { role: { type: 'string' }, tenant: { type: 'string' }, id: { type: 'string' } } }));
} catch (error) {
  console.error(`apikey: ${error.message}\nusage: npm run apikey -- --role admin|operator|viewer --tenant <name> [--id <name>]`);
  process.exit(2);
}
const { role, tenant } = values;
const id = values.id ?? `${role}-${randomBytes(3).toString('hex')}`;
const problems = [
  !['admin', 'operator', 'viewer'].includes(role) && '--role must be admin, operator or viewer',
  !NAME.test(tenant ?? '') && '--tenant must be 1 to 40 letters, digits, "_" or "-"',
  !NAME.test(id) && '--id must be 1 to 40 letters, digits, "_" or "-"',
].filter(Boolean);
if (problems.length > 0) {
  console.error(`apikey: ${problems.join('; ')}\nusage: npm run apikey -- --role admin|operator|viewer --tenant <name> [--id <name>]`);
  process.exit(2);
}
const key = `sy_${randomBytes(32).toString('base64url')}`;
const entry = `${id}:${role}:${tenant}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
console.log(`key (give it to the client; it is not stored anywhere):\n  ${key}\n`);
console.log(`SWITCHYARD_API_KEYS entry (comma-separate several):\n  ${entry}`);
