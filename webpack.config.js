/**
 * Nest's webpack build (nest-cli.json), plus one rule: a `.lua` file imported from TypeScript
 * becomes its source text in the bundle, so the Lua scripts are loaded at build time.
 */
module.exports = (options) => ({
  ...options,
  module: { ...options.module, rules: [...options.module.rules, { test: /\.lua$/, type: 'asset/source' }] },
});
