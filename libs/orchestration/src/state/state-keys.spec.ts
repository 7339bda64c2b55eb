import { shardTag } from '../redis/keys';
import { StateKeys } from './state-keys';

describe('StateKeys', () => {
  const keys = new StateKeys(shardTag('sy', 0), '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33');

  it("puts every entry and lock of a session under the shard's hash tag", () => {
    for (const scope of ['shared', 'private', 'temporary'] as const) {
      const entry = keys.entry(scope, 'notes', 'coder@host:42');
      for (const key of [entry.dataKey, entry.lockKey]) expect(key.startsWith('{sy-0}:_sy:session:0-9b2f0c4e')).toBe(true);
    }
  });

  it('encodes agent ids and keys, so no two agents or entries can share a key name', () => {
    const a = keys.entry('private', 'x', 'a:versions');
    const b = keys.entry('private', 'x', 'a');
    expect(new Set([a.dataKey, b.dataKey]).size).toBe(2);
    expect(keys.entry('private', 'k', '{x}').dataKey.split('{')).toHaveLength(2); // only the shard's tag
    expect(keys.privateOwner(keys.privateData('coder@host:42'))).toBe('coder@host:42');
    // A versions hash of the layout before 2026-11-29 names no owner.
    expect(keys.privateOwner(`${keys.privateData('coder@host:42')}:versions`)).toBeUndefined();
    expect(keys.temporaryKey(keys.entry('temporary', 'a:b}', undefined).dataKey)).toBe('a:b}');
    expect(keys.entry('temporary', 'k', undefined).lockKey).not.toBe(keys.entry('shared', 'k', undefined).lockKey);
  });
});
