import type { Redis } from 'ioredis';
import { StateSettings } from '../config/switchyard-config';
import { SessionNotFoundError, StateConflictError, StateLockExpiredError, StateValueError } from '../errors/errors';
import { Versioned } from './state-handle';
import { EntryAddress, StateKeys } from './state-keys';
import { ApplyReply, ApplyStateCall, ApplyTransaction } from './scripts/apply-state';
import { readEntries } from './scripts/read-entries';
import { decodeStored } from './stored-value';
import { oneWritePerTick, writeNow } from '../adapters/ioredis';
import type { ReadRequest } from './read-with-lock';

/**
 * The most transactions one apply-state.lua call carries. A full batch goes out at once, so that
 * Redis works on it while the process prepares the next; one batch per tick, sent at its end,
 * would leave Redis idle while the process builds it and the process idle while Redis runs it.
 */
const MAX_BATCH = 16;

/** One buffered write. `payload` is JSON text (for incr the number, for append the items joined by commas). */
export interface StateOp {
  readonly kind: 'set' | 'del' | 'incr' | 'append';
  readonly entry: EntryAddress;
  readonly payload: string;
  /** > 0: set this time to live; < 0: set -ttl only when the key has none; 0: leave it. */
  readonly ttlMs: number;
}

export interface StateCheck {
  readonly entry: EntryAddress;
  readonly version: number;
}

export interface FenceCheck {
  readonly lockKey: string;
  readonly token: string;
  readonly ttlMs: number;
}

/** Where a value came from, for messages: `shared.counter`, `private.notes`. */
export const entryPath = (entry: Pick<EntryAddress, 'scope' | 'key'>) => `${entry.scope}.${entry.key}`;

/**
 * Reads and writes one session's state entries through the state scripts, and turns their
 * answers into values and typed errors. Knows nothing of agents or permissions.
 */
export class StateEngine {
  constructor(
    readonly client: Redis,
    private readonly settings: StateSettings,
    readonly keys: StateKeys,
    /** Whether `client` is the state's own connection, whose writes are gathered per tick. */
    private readonly gather = false,
  ) {}

  /** Reads entries with their versions: one of them with a plain HGET (its value and version are one field), several atomically by script. */
  async read(entries: readonly EntryAddress[]): Promise<Versioned<unknown>[]> {
    if (entries.length === 0) return [];
    if (this.gather) oneWritePerTick(this.client);
    if (entries.length === 1) return [decodeStored(await this.client.hget(entries[0].dataKey, entries[0].dataField))];
    const { keys, args } = this.readRequest(entries);
    return this.decodeRead(entries, (await readEntries(this.client, { keys, fields: args })).values);
  }

  /** read-entries.lua's keys and fields for `entries` (also what a lock acquisition can read, see ReadWithLock). */
  readRequest(entries: readonly EntryAddress[]): ReadRequest {
    // Plain loops: flatMap here cost about a microsecond a call on Node 20.
    const keys: string[] = [];
    const args: string[] = [];
    for (const e of entries) {
      keys.push(e.dataKey);
      args.push(e.dataField);
    }
    return { keys, args };
  }

  /** The values and versions in a reply of read-entries.lua's layout (one stored value per entry). */
  decodeRead(entries: readonly EntryAddress[], reply: readonly unknown[]): Versioned<unknown>[] {
    return entries.map((_, i) => decodeStored(reply[i] as string | null));
  }

  /**
   * Applies `ops` all or nothing, after every fence and version check passed and none of the
   * `free` lock keys is held; answers the new version and the increments' results, or `locked`
   * when one of `free` is held (nothing was written). Commits of one session asked for in the
   * same tick go to Redis together, as one apply-state.lua call (see {@link CommitBatch}).
   */
  async apply(ops: readonly StateOp[], checks?: readonly StateCheck[], fences?: readonly FenceCheck[]): Promise<{ version: number; results: number[] }>;
  async apply(
    ops: readonly StateOp[],
    checks: readonly StateCheck[],
    fences: readonly FenceCheck[],
    free: readonly string[],
  ): Promise<{ version: number; results: number[] } | 'locked'>;
  async apply(
    ops: readonly StateOp[],
    checks: readonly StateCheck[] = [],
    fences: readonly FenceCheck[] = [],
    free: readonly string[] = [],
  ): Promise<{ version: number; results: number[] } | 'locked'> {
    const batch = CommitBatch.for(this.client, this.keys, this.settings.maxValueBytes, this.gather);
    const reply = await batch.add({ ops, checks, fences, free });
    switch (reply.outcome) {
      case 'ok':
        return { version: reply.version, results: reply.results };
      case 'session_gone':
        throw new SessionNotFoundError(this.keys.sessionId);
      case 'lock_expired':
        throw new StateLockExpiredError(fences[reply.fence - 1].ttlMs);
      case 'locked':
        return 'locked';
      case 'conflict': {
        const check = checks[reply.check - 1];
        throw new StateConflictError(entryPath(check.entry), check.version, reply.actual);
      }
      case 'failed':
        // Only a key of the state that something other than Switchyard changed makes Redis refuse.
        throw new Error(
          `Redis refused a write of session ${this.keys.sessionId}'s state (has something other than Switchyard written its keys?): ${reply.error}`,
        );
      case 'too_large':
        throw new StateValueError(
          entryPath(ops[reply.op - 1].entry),
          `would be ${reply.bytes} bytes of JSON; the limit is ${this.settings.maxValueBytes} (SWITCHYARD_STATE_MAX_VALUE_BYTES)`,
        );
      case 'not_number':
        throw new StateValueError(entryPath(ops[reply.op - 1].entry), 'is not a number, so it cannot be incremented');
      case 'not_array':
        throw new StateValueError(entryPath(ops[reply.op - 1].entry), 'is not an array, so nothing can be appended to it');
    }
  }
}

/**
 * The commits of one session asked for in one tick, sent as one apply-state.lua call when the tick
 * ends or when MAX_BATCH of them have gathered: every transaction is checked and applied on its
 * own, in the order they were asked for, exactly as separate calls would one after the other,
 * and each gets its own answer; the process and Redis pay the cost of one command instead of one
 * each. Concurrent transactions, of one agent or of many in the process, are the ones that meet
 * in a tick; commands sent in the same tick after a commit was asked for (a read, a lock) may
 * reach Redis before it, as no caller waits for one before the other. The session's hash tag
 * is in all their keys, so the call stays in one Redis Cluster slot.
 */
class CommitBatch {
  private static readonly open = new WeakMap<Redis, Map<string, CommitBatch>>();
  private readonly call: ApplyStateCall;
  private readonly waiting: { resolve: (reply: ApplyReply) => void; reject: (error: unknown) => void }[] = [];
  private sent = false;

  private constructor(
    private readonly client: Redis,
    private readonly sessionKeys: StateKeys,
    maxValueBytes: number,
    private readonly gather: boolean,
  ) {
    this.call = new ApplyStateCall(sessionKeys, maxValueBytes);
  }

  /** The batch of `keys`' session that is open on `client` (a new one, sent when the tick ends, if none is). */
  static for(client: Redis, keys: StateKeys, maxValueBytes: number, gather: boolean): CommitBatch {
    let open = CommitBatch.open.get(client);
    if (!open) CommitBatch.open.set(client, (open = new Map()));
    let batch = open.get(keys.base);
    if (!batch) {
      const created = new CommitBatch(client, keys, maxValueBytes, gather);
      open.set(keys.base, created);
      process.nextTick(() => created.send());
      batch = created;
    }
    return batch;
  }

  /** Adds a transaction (see StateEngine.apply); answers its reply. A full batch leaves now. */
  add(tx: ApplyTransaction): Promise<ApplyReply> {
    this.call.add(tx);
    const reply = new Promise<ApplyReply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (this.waiting.length >= MAX_BATCH) {
      this.send();
      writeNow(this.client);
    }
    return reply;
  }

  private send(): void {
    if (this.sent) return;
    this.sent = true;
    const open = CommitBatch.open.get(this.client);
    if (open?.get(this.sessionKeys.base) === this) open.delete(this.sessionKeys.base);
    if (this.gather) oneWritePerTick(this.client);
    this.call.run(this.client).then(
      (replies) => this.waiting.forEach((w, i) => w.resolve(replies[i])),
      (error: unknown) => this.waiting.forEach((w) => w.reject(error)),
    );
  }
}

/** Checks a key against the limits; answers it. */
export function checkKey(scope: string, key: unknown, settings: StateSettings): string {
  if (typeof key !== 'string' || key.length === 0) throw new StateValueError(`${scope}`, 'a key must be a non-empty string');
  const bytes = Buffer.byteLength(key);
  if (bytes > settings.maxKeyBytes) {
    throw new StateValueError(
      `${scope}.${key.slice(0, 40)}…`,
      `the key is ${bytes} bytes; the limit is ${settings.maxKeyBytes} (SWITCHYARD_STATE_MAX_KEY_BYTES)`,
    );
  }
  return key;
}

/** A value as the JSON text stored, within the limits. */
export function encodeValue(path: string, value: unknown, settings: StateSettings): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new StateValueError(path, `is not JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new StateValueError(path, `is not a JSON value (${typeof value})`);
  const bytes = Buffer.byteLength(text);
  if (bytes > settings.maxValueBytes) {
    throw new StateValueError(path, `is ${bytes} bytes of JSON; the limit is ${settings.maxValueBytes} (SWITCHYARD_STATE_MAX_VALUE_BYTES)`);
  }
  return text;
}
