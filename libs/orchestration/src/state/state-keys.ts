import { keys, ShardTag } from '../redis/keys';
import { StateScope } from './state-handle';

/**
 * Where one entry lives. Every scope is stored the same way, as one hash field holding the
 * entry's version and JSON (see stored-value.ts): the shared scope is one hash (which task runs
 * read as their `shared` context), each agent's private scope likewise, and a temporary entry is a
 * hash of its own (field `v`), so it can expire by itself.
 */
export interface EntryAddress {
  readonly scope: StateScope;
  readonly key: string;
  readonly dataKey: string;
  readonly dataField: string;
  /** The Redlock resource that guards the entry. */
  readonly lockKey: string;
  /** Listed in the session's state index, so cleanup finds it (private and temporary keys). */
  readonly indexed: boolean;
}

/** Agent ids and keys go into key names encoded, so no ':' or '{' of theirs can make two names meet. */
const enc = encodeURIComponent;

/** The key names of one session's state. */
export class StateKeys {
  readonly base: string;
  readonly session: string;
  readonly shared: string;
  /** The shared scope's versions, where builds before 2026-11-29 kept them: only expired. */
  readonly legacySharedVersions: string;
  /** Counter: every commit takes the next number as the version of what it writes. */
  readonly sequence: string;
  /** Set: the private and temporary keys of the session (cleanup and listing read it). */
  readonly index: string;
  readonly temporaryPrefix: string;
  readonly privatePrefix: string;

  constructor(
    tag: ShardTag,
    readonly sessionId: string,
  ) {
    this.base = keys.stateBase(tag, sessionId);
    this.session = keys.session(tag, sessionId);
    this.shared = keys.sharedState(tag, sessionId);
    this.legacySharedVersions = `${this.base}:shared:versions`;
    this.sequence = `${this.base}:seq`;
    this.index = `${this.base}:index`;
    this.temporaryPrefix = `${this.base}:temp:`;
    this.privatePrefix = `${this.base}:private:`;
  }

  privateData(agentId: string): string {
    return `${this.privatePrefix}${enc(agentId)}`;
  }

  /** The agent whose private data hash this is, or undefined for any other key (a versions hash of builds before 2026-11-29 too). */
  privateOwner(key: string): string | undefined {
    if (!key.startsWith(this.privatePrefix) || key.endsWith(':versions')) return undefined;
    return decodeURIComponent(key.slice(this.privatePrefix.length));
  }

  /** The entry key of a temporary entry's hash, or undefined for any other key. */
  temporaryKey(key: string): string | undefined {
    return key.startsWith(this.temporaryPrefix) ? decodeURIComponent(key.slice(this.temporaryPrefix.length)) : undefined;
  }

  /** The entry of `scope` named `key`; `agentId` is the owner of a private one. */
  entry(scope: StateScope, key: string, agentId: string | undefined): EntryAddress {
    const lockKey = `${this.base}:lock:${scope}:${scope === 'private' ? `${enc(agentId ?? '')}:` : ''}${enc(key)}`;
    switch (scope) {
      case 'shared':
        return { scope, key, dataKey: this.shared, dataField: key, lockKey, indexed: false };
      case 'private': {
        if (agentId === undefined) throw new Error('a private entry needs its agent');
        return { scope, key, dataKey: this.privateData(agentId), dataField: key, lockKey, indexed: true };
      }
      case 'temporary':
        return { scope, key, dataKey: `${this.temporaryPrefix}${enc(key)}`, dataField: 'v', lockKey, indexed: true };
    }
  }

  /** The keys of the session's state whose names are fixed (the index lists the others). */
  fixed(): string[] {
    return [this.shared, this.legacySharedVersions, this.sequence, this.index];
  }
}
