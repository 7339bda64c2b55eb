import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * The worker app of test/support/agents/streaming-worker.ts, run from its TypeScript source: pass
 * both to `stack.addWorker(streamingWorkerEnv(), 'worker', STREAMING_WORKER)`.
 */
export const STREAMING_WORKER = join(ROOT, 'test', 'support', 'agents', 'streaming-worker.ts');

/** The environment that makes Node compile a worker app's TypeScript on load (swc-register.js). */
export function streamingWorkerEnv(env: Record<string, string> = {}): Record<string, string> {
  return { NODE_OPTIONS: `--require ${join(ROOT, 'test', 'support', 'swc-register.js')}`, ...env };
}
