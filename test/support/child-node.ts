import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Runs a TypeScript file of the repository in a child Node process (compiled on load by
 * swc-register.js) and answers its stdout; rejects on a non-zero exit, or kills it after `timeoutMs`.
 */
export function runTsChild(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<string> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(root, 'test/support/swc-register.js'), join(root, file), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${file} exited ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}
