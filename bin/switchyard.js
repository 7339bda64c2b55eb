#!/usr/bin/env node
// The `switchyard` CLI (package.json `bin`): the build puts it in dist/apps/cli (npm run build).
require('../dist/apps/cli/main.js');
