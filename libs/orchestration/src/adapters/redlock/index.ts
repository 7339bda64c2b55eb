/**
 * The Redlock adapter: a Redlock over one Redis whose acquire attempts a caller may carry out
 * itself, in one place. Redlock is pinned exactly (redlock 5.0.0-beta.2 in package.json);
 * test/adapter-redlock.e2e-spec.ts fails on an upgrade that changes any of what this relies on:
 *
 * - Redlock types its servers as ioredis clients, and calls nothing on one but
 *   `evalsha(sha, numKeys, [...keys, ...args])` (its acquire, extend and release scripts, by their
 *   `scripts.*.hash`) and, after NOSCRIPT, `eval(source, numKeys, [...keys, ...args])`. The server
 *   it is given here is such an object, not an ioredis client.
 * - An acquire attempt's arguments are `[...keys, value, durationMs]`; its reply is the number of
 *   keys it set, the lock granted when that is all of them.
 * - `acquire()` sends its first attempt before it returns (no await comes before it), so that
 *   the caller knows, when acquire() returns, which attempt was the first.
 */
export { redlockOnOneRedis } from './redlock-on-one-redis';
export type { LockAcquirer } from './redlock-on-one-redis';
