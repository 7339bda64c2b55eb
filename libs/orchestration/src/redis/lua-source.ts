/** A line of a `.lua` file that stands for a shared piece of Lua (a file of an `includes/` folder). */
const INCLUDE = /^--- @include "([a-z0-9-]+)"$/gm;

/** An `--- @include` that names no include given. */
export class LuaIncludeError extends Error {
  constructor(readonly include: string) {
    super(`a Lua script includes "${include}", which was not given: pass its source among the includes`);
    this.name = 'LuaIncludeError';
  }
}

/**
 * A script's source with each `--- @include "name"` line replaced by the named include's source
 * (each include is its file's text, imported as a `.lua` module). Includes do not nest.
 */
export function withIncludes(source: string, includes: Readonly<Record<string, string>>): string {
  return source.replace(INCLUDE, (_, name: string) => {
    const included = includes[name];
    if (included === undefined) throw new LuaIncludeError(name);
    return included.trimEnd();
  });
}

/**
 * The value of a numeric constant a Lua source declares as `local NAME = <digits>`: the Lua is
 * where the value lives, and TypeScript reads it from there.
 */
export function luaConstant(source: string, name: string): number {
  const match = new RegExp(`^local ${name} = (\\d+)$`, 'm').exec(source);
  if (!match) throw new Error(`the Lua source declares no constant ${name} (a line \`local ${name} = <digits>\`)`);
  return Number(match[1]);
}

/**
 * The strings of a list constant a Lua source declares as `local NAME = { 'a', 'b' }` (single
 * quotes, no escapes): the Lua is where the list lives, and TypeScript reads it from there.
 */
export function luaStrings(source: string, name: string): string[] {
  const match = new RegExp(`^local ${name} = \\{ ((?:'[^'\\\\]*'(?:, )?)*) \\}$`, 'm').exec(source);
  if (!match) throw new Error(`the Lua source declares no list ${name} (a line \`local ${name} = { '…', '…' }\`)`);
  return [...match[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
}
