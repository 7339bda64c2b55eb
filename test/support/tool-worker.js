// Starts test/support/tool-worker.ts from source (see swc-register.js): AppProcess runs a script.
require('./swc-register.js');
require('./tool-worker.ts');
