import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { authHeader, TEST_API_KEYS_ENV } from './api-keys';
import { freePort } from './ports';
import { AppName, AppProcess } from './app-process';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What a stack needs of a Redis Cluster of the test's own (an OwnRedisCluster). */
export interface ClusterNodes {
  /** `host:port,...`, for SWITCHYARD_REDIS_CLUSTER. */
  seeds: string;
  nodes: { host: string; port: number }[];
}

export interface HttpAnswer<T = any> {
  status: number;
  contentType: string | null;
  body: T;
  headers: Headers;
}

/**
 * An API and N workers as separate processes on the real Redis, under a key prefix of their
 * own, so tests never see each other's queues or sessions.
 */
export class Stack {
  readonly prefix: string;
  /** A plain connection, or with `cluster` a Cluster (typed as Redis: same commands). */
  readonly redis: Redis;
  api!: AppProcess;
  workers: AppProcess[] = [];
  private port = 0;
  private env: Record<string, string> = {};

  private constructor(
    private readonly redisUrl: string,
    private readonly cluster?: ClusterNodes,
    prefix?: string,
  ) {
    this.prefix = prefix ?? `t${randomBytes(5).toString('hex')}`;
    this.redis = cluster
      ? (new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 3 } }) as unknown as Redis)
      : new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    this.redis.on('error', () => undefined);
  }

  /**
   * API and workers on the shared Redis, or on `redisUrl` (a test's own server), or on `cluster`
   * (a test's own Redis Cluster, through SWITCHYARD_REDIS_CLUSTER).
   */
  static async start(
    options: { workers?: number; env?: Record<string, string>; redisUrl?: string; cluster?: ClusterNodes; prefix?: string } = {},
  ): Promise<Stack> {
    const stack = new Stack(options.redisUrl ?? REDIS_URL, options.cluster, options.prefix);
    stack.port = await freePort();
    stack.env = {
      REDIS_URL: stack.redisUrl,
      ...(options.cluster ? { SWITCHYARD_REDIS_CLUSTER: options.cluster.seeds } : {}),
      SWITCHYARD_PREFIX: stack.prefix,
      PORT: String(stack.port),
      SWITCHYARD_API_KEYS: TEST_API_KEYS_ENV,
      ...options.env,
    };
    stack.api = new AppProcess('api', stack.env);
    stack.workers = Array.from({ length: options.workers ?? 1 }, () => new AppProcess('worker', stack.env));
    try {
      await Promise.all([stack.api.waitForLog('api listening'), ...stack.workers.map((w) => w.waitForLog('worker ready'))]);
    } catch (error) {
      // The caller never gets the stack to stop: stop it here, or its processes and Redis
      // connection keep jest waiting for ever.
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /**
   * Starts one more worker process (with extra environment) and waits until it consumes; `script`
   * runs instead of the app's build (a worker app built outside this repository).
   */
  async addWorker(env: Record<string, string> = {}, app: Exclude<AppName, 'api'> = 'worker', script?: string): Promise<AppProcess> {
    const worker = new AppProcess(app, { ...this.env, ...env }, script);
    this.workers.push(worker);
    await worker.waitForLog('worker ready');
    return worker;
  }

  /** Stops the API (SIGTERM) and starts it again with the same environment, on the same port. */
  async restartApi(): Promise<void> {
    await this.api.stop();
    this.api = new AppProcess('api', this.env);
    await this.api.waitForLog('api listening');
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * One HTTP request, as the admin of tenant acme unless `headers` present another key
   * (`authHeader('viewer')`, or an `authorization` / `x-api-key` header of the test's own).
   */
  async request<T = any>(method: string, path: string, body?: unknown, raw?: string, headers: Record<string, string> = {}): Promise<HttpAnswer<T>> {
    const presentsKey = Object.keys(headers).some((h) => ['authorization', 'x-api-key'].includes(h.toLowerCase()));
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(presentsKey ? {} : authHeader()),
        ...headers,
      },
      body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  /**
   * Runs a plan through a crash: a worker armed with the failpoint `point` (see
   * SWITCHYARD_FAILPOINT) takes it and kills itself there; then a second worker is added and the
   * session waited for. Answers the finished session and both workers (stop the survivor).
   */
  async orchestrateThroughCrash(point: string, plan: unknown): Promise<{ session: any; doomed: AppProcess; survivor: AppProcess }> {
    const doomed = await this.addWorker({ SWITCHYARD_FAILPOINT: point });
    const accepted = await this.request('POST', '/api/orchestrator/orchestrate', { plan });
    if (accepted.status !== 202) throw new Error(`orchestrate answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
    // It killed itself at the failpoint (SIGKILL: no exit code).
    const exit = await doomed.waitForExit(30_000);
    if (exit !== null) throw new Error(`the worker armed with ${point} exited with ${exit} instead of killing itself there`);
    const survivor = await this.addWorker();
    const session = await this.waitForSession(accepted.body.sessionId, undefined, 60_000);
    return { session, doomed, survivor };
  }

  /** Polls a session until `done` holds for it (default: it finished), bounded by `timeoutMs`. */
  async waitForSession(sessionId: string, done = (s: any) => ['completed', 'failed', 'cancelled'].includes(s.status), timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = (await this.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body;
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`session ${sessionId} did not get there in ${timeoutMs} ms; last seen: ${JSON.stringify(last)?.slice(0, 2000)}`);
  }

  /**
   * Every Redis key of this stack's deployment (its shards' `{prefix-i}` and its registry's
   * `{prefix}`), less the workers' own canary queues: a readiness check sends a job through them
   * every 2 s, so their keys come and go whatever a test does.
   */
  async keys(): Promise<string[]> {
    return (await this.allKeys()).filter((key) => !/^\{[^}]*\}:sy\.canary\./.test(key));
  }

  /** {@link keys} with the canary queues' keys. */
  async allKeys(): Promise<string[]> {
    const found: string[] = [];
    // On a cluster, SCAN answers one node's keys: scan every master.
    const nodes = this.cluster ? (this.redis as unknown as Cluster).nodes('master') : [this.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', `{${this.prefix}*`, 'COUNT', 1000);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
    }
    return found;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.api?.stop(), ...this.workers.map((w) => w.stop())]);
    const leftovers = await this.allKeys();
    // One DEL per key: a cluster refuses a DEL whose keys hash to different slots.
    if (this.cluster) await Promise.all(leftovers.map((key) => this.redis.del(key)));
    else if (leftovers.length > 0) await this.redis.del(...leftovers);
    await this.redis.quit();
  }
}
