import { mergePatch } from './json-merge-patch';

describe('mergePatch (RFC 7396)', () => {
  it('merges objects key by key, removes keys set to null and replaces everything else', () => {
    expect(mergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({ a: 'z', c: { d: 'e' } });
    expect(mergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
    expect(mergePatch('text', { a: 1 })).toEqual({ a: 1 });
    expect(mergePatch({ a: 1 }, 'text')).toBe('text');
    expect(mergePatch({}, { a: { b: null } })).toEqual({ a: {} });
  });

  it('leaves the target untouched', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { c: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});
