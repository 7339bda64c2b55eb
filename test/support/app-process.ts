import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');

/** Where each app's build is. `example-worker` is examples/custom-agent: a worker app of its own. */
const ENTRIES = {
  api: join('dist', 'apps', 'api', 'main.js'),
  worker: join('dist', 'apps', 'worker', 'main.js'),
  'example-worker': join('dist', 'examples', 'custom-agent', 'main.js'),
};
export type AppName = keyof typeof ENTRIES;

/** One app (api or worker) running as a real Node process from the build in dist/. */
export class AppProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  /** `script` runs instead of the app's build: a worker app built outside this repository, say. */
  constructor(
    readonly app: AppName,
    env: Record<string, string>,
    script = join(ROOT, ENTRIES[app]),
  ) {
    this.child = spawn(process.execPath, [script], {
      // Workers serve their probes on any free port (logged, see healthPort) unless a test picks
      // one: the default 3001 would make the many workers of the test runs clash.
      env: { ...process.env, LOG_LEVEL: 'info', ...(app === 'api' ? {} : { SWITCHYARD_WORKER_HEALTH_PORT: '0' }), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.test(line) ? (w.resolve(line), false) : true));
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first line (already printed or to come) that passes `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.app} (pid ${this.pid}) printed no matching line in ${timeoutMs} ms; last lines:\n${this.lines.slice(-10).join('\n')}`));
      }, timeoutMs);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ test, resolve: done });
      void this.exited.then((code) => {
        if (this.waiters.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          reject(new Error(`${this.app} exited with ${code} before printing the line; last lines:\n${this.lines.slice(-10).join('\n')}`));
        }
      });
    });
  }

  /** The port a worker serves its probes on, from its "worker health listening" line. */
  async healthPort(timeoutMs?: number): Promise<number> {
    const line = await this.waitForLog('worker health listening', timeoutMs);
    return (JSON.parse(line) as { port: number }).port;
  }

  /** Waits for a JSON log line whose `msg` is `message`. */
  waitForLog(message: string, timeoutMs?: number): Promise<string> {
    return this.waitForLine((line) => line.includes(`"msg":"${message}"`), timeoutMs);
  }

  /** Waits (bounded) for the process to exit by itself; answers its exit code. */
  async waitForExit(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.app} did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal and waits (bounded) for the exit code; SIGKILL if it does not go. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`${this.app} did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return result;
  }
}
