#!/usr/bin/env node
// Remakes libs/client/src/generated/openapi.ts from the API's OpenAPI document: starts the built
// API (dist/, so after npm run build) on a free port with auth off and a key prefix of its own,
// reads /docs-json, runs openapi-typescript on it, stops the API. Needs Redis at REDIS_URL.
// Usage: npm run client:types
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OUT = 'libs/client/src/generated/openapi.ts';
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const api = spawn(process.execPath, ['dist/apps/api/main.js'], {
  env: { ...process.env, PORT: String(port), SWITCHYARD_AUTH: 'off', SWITCHYARD_PREFIX: `client-types-${randomBytes(4).toString('hex')}`, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const dir = mkdtempSync(join(tmpdir(), 'switchyard-client-types-'));
try {
  let document;
  for (const deadline = Date.now() + 30_000; !document && Date.now() < deadline;) {
    document = await fetch(`http://127.0.0.1:${port}/docs-json`).then(
      (answer) => (answer.ok ? answer.text() : undefined),
      () => new Promise((resolve) => setTimeout(resolve, 250)),
    );
  }
  if (!document)
    throw new Error(`the API (dist/apps/api/main.js) did not serve /docs-json on port ${port} within 30 s: run npm run build first, and check REDIS_URL`);
  writeFileSync(join(dir, 'openapi.json'), document);
  const code = await new Promise((resolve) =>
    spawn(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', join(dir, 'openapi.json'), '-o', OUT], { stdio: 'inherit' }).once('exit', resolve),
  );
  if (code !== 0) throw new Error(`openapi-typescript exited ${code}`);
} catch (error) {
  process.stderr.write(`client:types: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  api.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
