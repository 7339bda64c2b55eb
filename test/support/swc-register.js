// Lets a child Node process load the TypeScript sources directly, compiled by @swc/core with the
// same options jest uses, and resolves the @switchyard/* path aliases. Used by tests that need
// several processes running library code (node -r ./test/support/swc-register.js file.ts). A `.lua`
// module is its source text, as webpack.config.js and jest.config.js make it.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '../..');
const aliases = { '@switchyard/orchestration': 'libs/orchestration/src', '@switchyard/agents': 'libs/agents/src' };

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  for (const [alias, target] of Object.entries(aliases)) {
    if (request === alias || request.startsWith(`${alias}/`)) request = path.join(root, target, request.slice(alias.length));
  }
  return resolveFilename.call(this, request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

require.extensions['.lua'] = (module, filename) => {
  module.exports = fs.readFileSync(filename, 'utf8');
};
