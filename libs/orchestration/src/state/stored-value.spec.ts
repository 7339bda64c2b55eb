import { decodeStored, decodeStoredHash, encodeStored } from './stored-value';

describe('stored state values', () => {
  it('hold a version and the JSON in one field', () => {
    expect(encodeStored('{"a":1}', 7)).toBe('7:{"a":1}');
    expect(decodeStored('7:{"a":1}')).toEqual({ value: { a: 1 }, version: 7 });
    expect(decodeStored('12:"x:y"')).toEqual({ value: 'x:y', version: 12 });
    expect(decodeStored(null)).toEqual({ value: undefined, version: 0 });
  });

  it('read plain JSON (written before versions lived in the field) as version 0', () => {
    expect(decodeStored('42')).toEqual({ value: 42, version: 0 });
    expect(decodeStored('"7:a"')).toEqual({ value: '7:a', version: 0 });
    expect(decodeStored('{"b":"1:2"}')).toEqual({ value: { b: '1:2' }, version: 0 });
    expect(decodeStoredHash({ a: '3:true', b: '[1]' })).toEqual({ a: true, b: [1] });
  });
});
