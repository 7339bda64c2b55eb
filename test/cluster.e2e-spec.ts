import { authHeader } from './support/api-keys';
import { OwnRedisCluster, prefixWithUnevenPlainTags, redirects } from './support/redis-cluster';
import { runOrderViolations } from './support/run-order';
import { readEvents } from './support/sse-client';
import { Stack } from './support/stack';

const ORCHESTRATE = '/api/orchestrator/orchestrate';
const CAPABILITIES = ['web_research', 'code_generation', 'code_review', 'data_analysis', 'document_creation'];
const RETENTION_S = 600;

/** 1,000 tasks: 100 groups of a parent and 9 children, each group depending on the one before. */
function bigPlan() {
  return {
    tasks: Array.from({ length: 100 }, (_, g) => ({
      id: `g${g}`,
      capabilities: [CAPABILITIES[g % CAPABILITIES.length]],
      ...(g > 0 ? { dependsOn: [`g${g - 1}-c${g % 9}`] } : {}),
      children: Array.from({ length: 9 }, (_, c) => ({ id: `g${g}-c${c}`, capabilities: [CAPABILITIES[(g + c) % CAPABILITIES.length]] })),
    })),
  };
}

/** The shard → node map `GET /api/orchestrator/stats` reports. */
async function shardMap(
  stack: Stack,
): Promise<{ mode: string; shards: { shard: number; tag: string; slot: number; node: string }[]; masters: string[]; idleMasters: string[] }> {
  const stats = await stack.request('GET', '/api/orchestrator/stats');
  expect(stats.status).toBe(200);
  return stats.body.shards;
}

/** Shards per master, by `127.0.0.1:<port>`, from the map. */
function shardsPerMaster(cluster: OwnRedisCluster, map: Awaited<ReturnType<typeof shardMap>>): number[] {
  return cluster.ports.map((p) => map.shards.filter((s) => s.node === `127.0.0.1:${p}`).length);
}

/** Log lines of the API and the workers that tell of a redirected or refused command. */
function redirectLines(stack: Stack): string[] {
  return [stack.api, ...stack.workers].flatMap((app) => app.lines.filter((line) => /MOVED|CROSSSLOT/.test(line)));
}

/** The keys of each master (`{<prefix>…`), counted by a SCAN of each. */
async function keysPerMaster(cluster: OwnRedisCluster, prefix: string): Promise<number[]> {
  return Promise.all(
    cluster.masters.map(async ({ redis }) => {
      let count = 0;
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
        count += batch.length;
        cursor = next;
      } while (cursor !== '0');
      return count;
    }),
  );
}

/**
 * The main flows on a real 3-master Redis Cluster of the file's own (SWITCHYARD_REDIS_CLUSTER),
 * API and workers as real processes, sessions spread over 6 shards whose tags Switchyard chose to
 * cover every master evenly (the prefix's plain tags would not). A CROSSSLOT refusal or a
 * MOVED loop fails the request or the task, so each flow finishing as on one Redis is the check
 * that no command crosses slots; each master's INFO errorstats and the processes' logs are
 * checked too.
 */
describe('on a 3-master Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  let stack: Stack;
  const sessions: string[] = [];

  const orchestrate = async (body: unknown, headers: Record<string, string> = {}): Promise<string> => {
    const accepted = await stack.request('POST', ORCHESTRATE, body, undefined, headers);
    expect(accepted.status).toBe(202);
    sessions.push(accepted.body.sessionId);
    return accepted.body.sessionId;
  };

  beforeAll(async () => {
    cluster = await OwnRedisCluster.start(3);
    const prefix = await prefixWithUnevenPlainTags(cluster, 6);
    stack = await Stack.start({
      workers: 2,
      cluster,
      prefix,
      // Bull Board asks each of its 6 × 22 queues for its workers with a CLIENT LIST of every
      // master: on a busy 2-core machine one of those can wait longer than the default 2 s.
      env: { SWITCHYARD_SHARDS: '6', SWITCHYARD_RETENTION_S: String(RETENTION_S), SWITCHYARD_RATE_LIMIT: '0', SWITCHYARD_REDIS_WAIT_MS: '10000' },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await cluster?.destroy();
  });

  it('chooses shard tags two a master, and reports which master serves each, at start and in /stats', async () => {
    const map = await shardMap(stack);
    expect(map).toMatchObject({ mode: 'cluster', idleMasters: [] });
    expect([...map.masters].sort()).toEqual(cluster.ports.map((p) => `127.0.0.1:${p}`).sort());
    expect(map.shards).toHaveLength(6);
    expect(shardsPerMaster(cluster, map)).toEqual([2, 2, 2]);
    for (const [i, shard] of map.shards.entries()) {
      expect(shard.shard).toBe(i);
      expect(shard.tag === `{${stack.prefix}-${i}}` || shard.tag.startsWith(`{${stack.prefix}-${i}.`)).toBe(true);
      expect(shard.slot).toBe(Number(await cluster.masters[0].redis.cluster('KEYSLOT', shard.tag)));
      const node = cluster.masters.find((m) => `127.0.0.1:${m.port}` === shard.node)!;
      // The master named serves the slot: it answers for a key there without a MOVED.
      expect(await node.redis.cluster('COUNTKEYSINSLOT', shard.slot)).toEqual(expect.any(Number));
    }
    // Recorded once for the deployment; the API and each worker logged the same map at start.
    expect(await stack.redis.hgetall(`{${stack.prefix}}:_sy:shard-tags`)).toEqual(Object.fromEntries(map.shards.map((s) => [String(s.shard), s.tag])));
    const logged = await Promise.all([stack.api, ...stack.workers].map(async (app) => JSON.parse(await app.waitForLog('shard map')).shards));
    for (const shards of logged) expect(shards).toEqual(map.shards.map((s) => `${s.tag}=${s.node}`));
  });

  it('runs a diamond with children, on every shard, each to its result in dependency order', async () => {
    const plan = {
      tasks: [
        { id: 'top', capabilities: ['web_research'] },
        { id: 'left', capabilities: ['code_generation'], dependsOn: ['top'], children: [{ id: 'inner', capabilities: ['workflow_design'] }] },
        { id: 'right', capabilities: ['data_analysis'], dependsOn: ['top'] },
        { id: 'bottom', capabilities: ['code_review'], dependsOn: ['left', 'right'] },
      ],
    };
    const ids = await Promise.all(Array.from({ length: 6 }, () => orchestrate({ plan })));
    expect(new Set(ids.map((id) => id.split('-')[0]))).toEqual(new Set(['0', '1', '2', '3', '4', '5']));
    for (const id of ids) {
      const session = await stack.waitForSession(id);
      expect(session.status).toBe('completed');
      expect(runOrderViolations(session)).toEqual([]);
      expect(session.tasks.find((t: any) => t.id === 'left').output.basedOn.sort()).toEqual(['inner', 'top']);
    }
  });

  it('runs a 1,000-task DAG over both workers, every task once, after its dependencies', async () => {
    const started = Date.now();
    const sessionId = await orchestrate({ plan: bigPlan() });
    const session = await stack.waitForSession(sessionId, undefined, 90_000);
    expect(session.status).toBe('completed');
    expect(session.tasks).toHaveLength(1000);
    expect(session.tasks.every((t: any) => t.status === 'completed' && t.attempts === 1)).toBe(true);
    expect(new Set(session.tasks.map((t: any) => t.worker.pid))).toEqual(new Set(stack.workers.map((w) => w.pid)));
    expect(runOrderViolations(session)).toEqual([]);
    console.log(`1,000-task DAG on the cluster: ${Date.now() - started} ms`);
  }, 120_000);

  it('cancels a paused session: the work behind it never starts, its keys are left to expire', async () => {
    const sessionId = await orchestrate({
      plan: {
        tasks: [
          { id: 'approve', capabilities: ['code_review'], kind: 'approval' },
          { id: 'after', capabilities: ['document_creation'], dependsOn: ['approve'] },
        ],
      },
    });
    await stack.waitForSession(sessionId, (s) => s.status === 'paused');
    const answer = await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sessionId, status: 'cancelled' });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('cancelled');
    expect(session.tasks.find((t: any) => t.id === 'after')).toMatchObject({ status: 'cancelled' });
    expect(session.tasks.find((t: any) => t.id === 'after').startedAt).toBeUndefined();
    for (const key of (await stack.keys()).filter((k) => k.includes(`:session:${sessionId}`))) expect(await stack.redis.ttl(key)).toBeGreaterThan(0);
  });

  it('never loses one of concurrent state transactions on one key (the locks in the session slot)', async () => {
    const sessionId = await orchestrate({ plan: { tasks: [{ id: 'approve', capabilities: ['code_review'], kind: 'approval' }] } });
    await stack.waitForSession(sessionId, (s) => s.status === 'paused');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stack.request('PATCH', `/api/orchestrator/sessions/${sessionId}/context`, { notes: { [`operator${i}`]: i } })),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(Object.keys((await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body.context.notes)).toHaveLength(20);
    expect((await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`)).status).toBe(200);
  });

  it('resumes the event stream after Last-Event-ID: nothing twice, nothing missed', async () => {
    const sessionId = await orchestrate({
      plan: {
        tasks: [
          { id: 'a', capabilities: ['web_research'] },
          { id: 'b', capabilities: ['code_generation'], dependsOn: ['a'] },
        ],
      },
    });
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`;
    const first = await readEvents(url, { stopAfter: 3, timeoutMs: 20_000 });
    expect(first.events).toHaveLength(3);
    const rest = await readEvents(url, { lastEventId: first.events[2].id, timeoutMs: 20_000 });
    const whole = await readEvents(url, { timeoutMs: 20_000 });
    expect([...first.events, ...rest.events]).toEqual(whole.events);
    expect(whole.events[whole.events.length - 1]).toMatchObject({ event: 'session', data: { status: 'completed' } });
  });

  it('answers a retried Idempotency-Key with the first session, whatever shard holds the key', async () => {
    const body = { plan: { tasks: [{ id: 'once', capabilities: ['data_analysis'] }] } };
    for (const key of ['retry-a', 'retry-b', 'retry-c', 'retry-d']) {
      const first = await orchestrate(body, { 'idempotency-key': key });
      const again = await stack.request('POST', ORCHESTRATE, body, undefined, { 'idempotency-key': key });
      expect(again.status).toBe(202);
      expect(again.body.sessionId).toBe(first);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
  });

  it('lists the registered agents of both workers, and the logs and metrics of the sessions', async () => {
    const agents = (await stack.request('GET', '/api/orchestrator/agents')).body as any[];
    expect(new Set(agents.map((a) => a.worker?.pid))).toEqual(new Set(stack.workers.map((w) => w.pid)));

    const logs = await stack.request('GET', `/api/orchestrator/sessions/${sessions[0]}/logs?limit=1000`);
    expect(logs.status).toBe(200);
    expect(logs.body.entries.length).toBeGreaterThan(0);

    const metrics = await (await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader(), signal: AbortSignal.timeout(10_000) })).text();
    const completed = [...metrics.matchAll(/^switchyard_tasks_completed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(completed).toBeGreaterThanOrEqual(1000);
  });

  it("gives a finished session's keys the retention as time to live", async () => {
    const sessionId = sessions[0];
    const own = (await stack.keys()).filter((k) => k.includes(`:session:${sessionId}`));
    expect(own.length).toBeGreaterThan(3);
    for (const key of own) {
      const ttl = await stack.redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(RETENTION_S);
    }
  });

  it("answers Bull Board with every shard's queues", async () => {
    const answer = await fetch(`${stack.baseUrl}/admin/queues/api/queues`, { headers: authHeader('admin'), signal: AbortSignal.timeout(10_000) });
    expect({ status: answer.status, body: answer.status === 200 ? '' : (await answer.clone().text()).slice(0, 500) }).toEqual({ status: 200, body: '' });
    const queues = ((await answer.json()) as any).queues as any[];
    // Each queue shows as `<capability> <shard tag>`, with its jobs counted from its own shard.
    for (const { tag } of (await shardMap(stack)).shards) {
      const shard = queues.filter((q) => String(q.displayName).endsWith(` ${tag}`));
      expect(shard.map((q) => String(q.displayName).split(' ')[0])).toEqual(expect.arrayContaining(['web_research', 'sy.session']));
      expect(shard.reduce((n, q) => n + (q.counts?.completed ?? 0), 0)).toBeGreaterThan(0);
    }
  });

  it('runs the subtasks an agent returns under its task', async () => {
    const sessionId = await orchestrate({
      plan: {
        tasks: [
          { id: 'context', capabilities: ['web_research'] },
          { id: 'breakdown', capabilities: ['task_decomposition'], dependsOn: ['context'], input: { goal: 'Implement a rate limiter API' } },
          { id: 'wrap-up', capabilities: ['document_creation'], dependsOn: ['breakdown'] },
        ],
      },
    });
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const spawned = session.tasks.filter((t: any) => t.id.startsWith('breakdown.'));
    expect(spawned.length).toBeGreaterThan(0);
    const parent = session.tasks.find((t: any) => t.id === 'breakdown');
    for (const sub of spawned) {
      expect(sub).toMatchObject({ status: 'completed', parentId: 'breakdown' });
      expect(Date.parse(parent.finishedAt)).toBeGreaterThanOrEqual(Date.parse(sub.finishedAt));
    }
    expect(Object.keys(parent.output)).toEqual(spawned.map((t: any) => t.id));
  });

  it("lists every shard's sessions, newest first", async () => {
    const listed = await stack.request('GET', '/api/orchestrator/sessions?limit=100');
    expect(listed.status).toBe(200);
    const ids = listed.body.sessions.map((s: any) => s.sessionId);
    expect([...ids].sort()).toEqual([...sessions].sort());
  });

  it("puts the deployment's keys on every master", async () => {
    for (const count of await keysPerMaster(cluster, stack.prefix)) expect(count).toBeGreaterThan(0);
    // The registry lives under the deployment's global tag, each session's keys under its shard's.
    const tags = (await shardMap(stack)).shards.map((s) => s.tag);
    const all = await stack.keys();
    expect(all.filter((k) => k.startsWith(`{${stack.prefix}}:_sy:registry:`)).length).toBeGreaterThan(0);
    for (const id of sessions) {
      for (const key of all.filter((k) => k.includes(`:session:${id}`))) expect(key.startsWith(`${tags[Number(id.split('-')[0])]}:`)).toBe(true);
    }
  });

  it('made no master refuse or redirect a command (INFO errorstats), and no process log one', async () => {
    for (const counts of await redirects(cluster)) expect(counts).toEqual({ port: counts.port, crossslot: 0, moved: 0 });
    expect(redirectLines(stack)).toEqual([]);
  });
});

describe('on a 3-master Redis Cluster, a worker SIGKILLed mid-run', () => {
  let cluster: OwnRedisCluster;
  let stack: Stack;

  beforeAll(async () => {
    cluster = await OwnRedisCluster.start(3);
    const prefix = await prefixWithUnevenPlainTags(cluster, 3);
    stack = await Stack.start({ workers: 0, cluster, prefix, env: { SWITCHYARD_SHARDS: '3', SWITCHYARD_LOCK_DURATION_MS: '2000' } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await cluster?.destroy();
  });

  it('loses nothing: the task runs again on another worker and the session finishes', async () => {
    const doomed = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '60000' });
    const accepted = await stack.request('POST', ORCHESTRATE, {
      plan: {
        tasks: [
          { id: 'interrupted', capabilities: ['web_research'] },
          { id: 'after', capabilities: ['document_creation'], dependsOn: ['interrupted'] },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.tasks[0].status === 'running');
    await doomed.stop('SIGKILL');
    const survivor = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '1500' });
    const done = await stack.waitForSession(sessionId, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(done.tasks[0]).toMatchObject({ status: 'completed', attempts: 2, worker: { pid: survivor.pid } });
    expect(done.tasks[1]).toMatchObject({ status: 'completed', attempts: 1, worker: { pid: survivor.pid } });
  }, 90_000);

  it('pauses a failed task under `ask` and resumes it with what the operator provides', async () => {
    const accepted = await stack.request('POST', ORCHESTRATE, {
      plan: {
        tasks: [
          { id: 'asks', capabilities: ['web_research'], timeoutMs: 50, attempts: 1, onFailure: 'ask' },
          { id: 'next', capabilities: ['web_research'], dependsOn: ['asks'] },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.status === 'paused');
    const answer = await stack.request('POST', `/api/orchestrator/sessions/${sessionId}/tasks/asks/resolve`, {
      action: 'provide',
      output: { text: 'by hand' },
    });
    expect(answer.status).toBe(200);
    const done = await stack.waitForSession(sessionId);
    expect(done.status).toBe('completed');
    expect(done.tasks[1].output.text).toContain('From asks: by hand');
  });

  it('cancels a running session: its running agent is aborted at once', async () => {
    const accepted = await stack.request('POST', ORCHESTRATE, {
      plan: {
        tasks: [
          { id: 'slow', capabilities: ['web_research'] },
          { id: 'later', capabilities: ['document_creation'], dependsOn: ['slow'] },
        ],
      },
    });
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.tasks[0].status === 'running');
    const cancelledAt = Date.now();
    expect((await stack.request('DELETE', `/api/orchestrator/sessions/${sessionId}`)).status).toBe(200);
    const session = await stack.waitForSession(sessionId, (s) => s.tasks.every((t: any) => t.status === 'cancelled'));
    expect(session.status).toBe('cancelled');
    expect(session.tasks[0]).toMatchObject({ error: { name: 'SessionCancelledError' } });
    // The agent's 1.5 s model call was cut short by its AbortSignal.
    expect(Date.now() - cancelledAt).toBeLessThan(1400);
  });

  it("chose one shard a master, though the prefix's plain tags leave one idle, and put the sessions' keys on every master", async () => {
    const map = await shardMap(stack);
    expect(map.idleMasters).toEqual([]);
    expect(shardsPerMaster(cluster, map)).toEqual([1, 1, 1]);
    // The three sessions above went to shards 0, 1 and 2 in turn.
    for (const count of await keysPerMaster(cluster, stack.prefix)) expect(count).toBeGreaterThan(0);
    expect(redirectLines(stack)).toEqual([]);
  });
});
