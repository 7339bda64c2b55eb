import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * The worker app of test/support/agents/test-agents-worker.ts (agents that stream and report
 * model usage), run from its TypeScript source:
 * `stack.addWorker(testAgentsWorkerEnv(), 'worker', TEST_AGENTS_WORKER)`.
 */
export const TEST_AGENTS_WORKER = join(ROOT, 'test', 'support', 'agents', 'test-agents-worker.ts');

/** The environment that makes Node compile a worker app's TypeScript on load (swc-register.js). */
export function testAgentsWorkerEnv(env: Record<string, string> = {}): Record<string, string> {
  return { NODE_OPTIONS: `--require ${join(ROOT, 'test', 'support', 'swc-register.js')}`, ...env };
}
