import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports';

/** Calls per command name that `redis` has counted (INFO commandstats; CONFIG RESETSTAT clears them). */
export async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [, name, n] of String(await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[name] = Number(n);
  return out;
}

/**
 * A redis-server of the test's own, on a spare port in a temp dir, for tests that stop or restart
 * Redis (never the shared one on 6379). Always `destroy()` it.
 */
export class OwnRedis {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));

  private constructor(
    readonly port: number,
    private readonly appendOnly = false,
  ) {}

  /** With `appendOnly`, the server keeps an AOF (fsync every second) in its dir, and a restart replays it. */
  static async start(options: { appendOnly?: boolean } = {}): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), options.appendOnly);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the server and waits until it answers; a server already running is left as it is. */
  async up(): Promise<void> {
    // A second server on the same port would fail to bind and exit, and the first one, no longer
    // held here, would outlive the test (and keep Jest from exiting).
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', this.appendOnly ? 'yes' : 'no'],
      {
        stdio: 'ignore',
      },
    );
    // A refused connection's disconnect() otherwise leaves a 2 s timer behind, which kept Jest from
    // exiting at once after a file of these tests.
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, disconnectTimeout: 10 });
    probe.on('error', () => undefined);
    try {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
        try {
          await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
    } finally {
      probe.disconnect();
    }
  }

  /** Stops the server and waits (bounded) for it to exit. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
