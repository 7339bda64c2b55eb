// Builds the session pages (apps/ui) into dist/ui: app.js (the bundle), app.css, and elkjs's
// Web Worker, elk-worker.min.js, in which the graph is laid out. The API serves them at
// /ui/assets/ (see apps/api/src/ui/session-pages.ts).
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, minify: true, logLevel: 'warning', legalComments: 'none' };
await build({
  ...common,
  entryPoints: ['apps/ui/src/main.ts'],
  outfile: 'dist/ui/app.js',
  format: 'iife',
  target: 'es2020',
  tsconfig: 'apps/ui/tsconfig.json',
});
await build({ ...common, entryPoints: ['apps/ui/src/styles.css'], outfile: 'dist/ui/app.css' });
copyFileSync('apps/ui/src/favicon.svg', 'dist/ui/favicon.svg');
copyFileSync('node_modules/elkjs/lib/elk-worker.min.js', 'dist/ui/elk-worker.min.js');
