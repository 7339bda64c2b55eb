import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { STATE_INCLUDES } from './includes';
import source from './apply-state.lua';

const SCRIPT = RedisScript.fromLua(source, STATE_INCLUDES);

/** A state entry as apply-state.lua addresses it: a field of a hash. */
export interface ApplyEntry {
  readonly dataKey: string;
  readonly dataField: string;
  /** Whether the entry's key goes into the state index (it gets the session's retention). */
  readonly indexed: boolean;
}

/** One write. `payload` is JSON text (for incr the number, for append the items joined by commas). */
export interface ApplyOp {
  readonly kind: 'set' | 'del' | 'incr' | 'append';
  readonly entry: ApplyEntry;
  readonly payload: string;
  /** > 0: set this time to live; < 0: set -ttl only when the key has none; 0: leave it. */
  readonly ttlMs: number;
}

/** One transaction of an apply-state.lua call. */
export interface ApplyTransaction {
  readonly ops: readonly ApplyOp[];
  /** Entries that must still be at these versions. */
  readonly checks: readonly { readonly entry: ApplyEntry; readonly version: number }[];
  /** Lock keys that must still hold these tokens; released once the writes are. */
  readonly fences: readonly { readonly lockKey: string; readonly token: string }[];
  /** Lock keys nobody may hold. */
  readonly free: readonly string[];
}

/**
 * One transaction's answer (indexes are 1-based, into its fences, free keys, checks or ops):
 * `ok` with the new version and the increments' results, or why nothing was written.
 */
export type ApplyReply =
  | { outcome: 'ok'; version: number; results: number[] }
  | { outcome: 'session_gone' }
  | { outcome: 'lock_expired'; fence: number }
  | { outcome: 'locked'; free: number }
  | { outcome: 'conflict'; check: number; actual: number }
  | { outcome: 'too_large'; op: number; bytes: number }
  | { outcome: 'not_number'; op: number }
  | { outcome: 'not_array'; op: number }
  | { outcome: 'failed'; error: string };

/** A reply of apply-state.lua's layout as an {@link ApplyReply}. */
function decode(reply: readonly (string | number)[]): ApplyReply {
  const [outcome, a, b] = reply;
  switch (outcome) {
    case 'ok':
      return { outcome, version: Number(a), results: reply.slice(2).map(Number) };
    case 'session_gone':
      return { outcome };
    case 'lock_expired':
      return { outcome, fence: Number(a) };
    case 'locked':
      return { outcome, free: Number(a) };
    case 'conflict':
      return { outcome, check: Number(a), actual: Number(b) };
    case 'too_large':
      return { outcome, op: Number(a), bytes: Number(b) };
    case 'not_number':
    case 'not_array':
      return { outcome, op: Number(a) };
    case 'failed':
      return { outcome, error: String(a) };
    default:
      throw new Error(`unexpected answer from apply-state.lua: ${JSON.stringify(reply)}`);
  }
}

/**
 * An apply-state.lua call being built: the session's keys, then transactions added one by one,
 * each in the script's layout as it comes (the call is sent with whatever it holds).
 */
export class ApplyStateCall {
  /** KEYS: the session's three, then every entry and lock key once. */
  private readonly keys: string[];
  private readonly slots = new Map<string, number>();
  /** ARGV: the limit, the count of transactions, then theirs. */
  private readonly args: (string | number)[];

  constructor(session: { readonly session: string; readonly sequence: string; readonly index: string }, maxValueBytes: number) {
    this.keys = [session.session, session.sequence, session.index];
    this.args = [maxValueBytes, 0];
  }

  /** How many transactions the call holds. */
  get transactions(): number {
    return this.args[1] as number;
  }

  add(tx: ApplyTransaction): void {
    const args = this.args;
    const start = args.length;
    args.push(0); // the transaction's count of arguments, set below
    args.push(tx.fences.length);
    for (const fence of tx.fences) args.push(this.at(fence.lockKey), fence.token);
    args.push(tx.free.length);
    for (const lockKey of tx.free) args.push(this.at(lockKey));
    args.push(tx.checks.length);
    for (const check of tx.checks) args.push(this.at(check.entry.dataKey), check.entry.dataField, String(check.version));
    for (const op of tx.ops) args.push(op.kind, this.at(op.entry.dataKey), op.entry.dataField, op.payload, op.ttlMs, op.entry.indexed ? '1' : '0');
    args[start] = args.length - start - 1;
    args[1] = (args[1] as number) + 1;
  }

  /** Runs apply-state.lua: answers one reply per transaction, in the order they were added. */
  async run(client: Redis): Promise<ApplyReply[]> {
    const replies = (await SCRIPT.run(client, this.keys, this.args)) as (string | number)[][];
    return replies.map(decode);
  }

  /** The index in KEYS of `key` (added the first time). */
  private at(key: string): number {
    let index = this.slots.get(key);
    if (index === undefined) {
      this.keys.push(key);
      index = this.keys.length;
      this.slots.set(key, index);
    }
    return index;
  }
}
