/**
 * A fake for unit specs that has only the members given, and fails on any other that is used: a
 * call nobody arranged shows as an error naming it rather than as an undefined.
 */
export function strict<T>(name: string, members: Record<string, unknown>): T {
  return new Proxy(members, {
    get(target, property) {
      if (property in target || property === 'then') return target[property as string];
      throw new Error(`${name}.${String(property)} was used, but the test did not arrange it`);
    },
  }) as T;
}
