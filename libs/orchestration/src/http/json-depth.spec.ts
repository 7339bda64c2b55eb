import { findTooDeep } from './json-depth';

const nested = (levels: number, key = 'a'): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
};

describe('findTooDeep', () => {
  it('passes scalars and values within the limit', () => {
    for (const value of [null, 1, 'x', true, [], {}, nested(4), [[[[1]]]]]) expect(findTooDeep(value, 4)).toBeUndefined();
  });

  it('names the path and depth of the first container past the limit', () => {
    expect(findTooDeep(nested(5), 4)).toEqual({ path: 'a.a.a.a', depth: 5 });
    expect(findTooDeep({ plan: { tasks: [{ id: 'x', input: nested(3) }] } }, 5)).toEqual({ path: 'plan.tasks[0].input.a', depth: 6 });
    expect(findTooDeep([[[[[]]]]], 4)).toEqual({ path: '[0][0][0][0]', depth: 5 });
    expect(findTooDeep({}, 0)).toEqual({ path: '', depth: 1 });
  });

  it('cuts long keys and long paths', () => {
    const key = 'k'.repeat(100);
    expect(findTooDeep(nested(2, key), 1)?.path).toBe(`${'k'.repeat(40)}…`);
    const path = findTooDeep(nested(600, 'key'), 512)!.path;
    expect(path).toBe(`${'key.'.repeat(50)}…${'.key'.repeat(50)}`);
  });

  it('walks a value far deeper than the call stack allows recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findTooDeep(deep, 64)).toEqual({ path: '[0]'.repeat(64), depth: 65 });
    expect(findTooDeep(deep, 300_000)).toBeUndefined();
  });
});
