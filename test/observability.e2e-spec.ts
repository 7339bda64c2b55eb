import { authHeader } from './support/api-keys';
import {
  RedisConnections,
  RedisWriteBatcher,
  SessionLogWriter,
  shardTag,
  SwitchyardConfig,
  toSwitchyardConfig,
  validateEnvironment,
} from '@switchyard/orchestration';
import { sample } from './support/prometheus';
import { readEvents } from './support/sse-client';
import { REDIS_URL, Stack } from './support/stack';

const LEVELS = ['debug', 'info', 'warn', 'error', 'critical'];

/** A log writer of the test's own, on the stack's Redis and prefix (what a worker process runs). */
async function withWriter(stack: Stack, env: Record<string, string>, use: (writer: SessionLogWriter, config: SwitchyardConfig) => void): Promise<void> {
  const config = toSwitchyardConfig(validateEnvironment({ REDIS_URL, SWITCHYARD_PREFIX: stack.prefix, ...env }));
  const connections = new RedisConnections(config);
  try {
    const writer = new SessionLogWriter(new RedisWriteBatcher(connections, config), config);
    use(writer, config);
  } finally {
    await connections.onApplicationShutdown(); // flushes what is buffered, then closes
  }
}

/** A minimal RFC 4180 reader: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe('orchestration log, log events and metrics', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '50', SWITCHYARD_SHUTDOWN_TIMEOUT_MS: '300' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const logs = (sessionId: string, query = '') => stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs${query}`);
  const all = async (sessionId: string) => (await logs(sessionId, '?limit=1000')).body.entries as any[];

  describe('a session whose worker stops mid-task', () => {
    let sessionId: string;
    let entries: any[];

    beforeAll(async () => {
      // A slow first task, so the worker is stopped while it runs and hands it back (a system entry).
      const slow = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '3000' });
      await stack.workers[0].stop();
      const plan = {
        tasks: [
          { id: 'a', capabilities: ['web_research'], attempts: 2 },
          { id: 'b', capabilities: ['code_generation'], dependsOn: ['a'] },
        ],
      };
      sessionId = (await stack.request('POST', '/api/orchestrator/orchestrate', { plan })).body.sessionId;
      await stack.waitForSession(sessionId, (s) => s.tasks.some((t: any) => t.id === 'a' && t.status === 'running'));
      await slow.stop();
      await stack.addWorker();
      const done = await stack.waitForSession(sessionId);
      expect(done.status).toBe('completed');
      // The finalizer's entry is written just after the session completes.
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        entries = await all(sessionId);
        if (entries.some((e) => e.message === 'session completed')) break;
      }
    });

    it('holds entries from all four sources, in order', () => {
      expect(new Set(entries.map((e) => e.source))).toEqual(new Set(['orchestrator', 'task', 'agent', 'system']));
      for (let i = 1; i < entries.length; i++) {
        expect(entries[i - 1].time <= entries[i].time).toBe(true);
      }
      expect(entries[0]).toMatchObject({ source: 'orchestrator', message: 'session accepted', sessionId, worker: { pid: stack.api.pid } });
      expect(entries[entries.length - 1]).toMatchObject({ source: 'orchestrator', message: 'session completed' });
      const story = entries.map((e) => `${e.source}:${e.taskId ?? ''}:${e.message}`);
      const at = (line: string) => story.indexOf(line);
      expect(at('system:a:worker shutting down: the running task did not finish in time and goes back to its queue')).toBeGreaterThan(
        at('task:a:task started'),
      );
      expect(at('task:b:task started')).toBeGreaterThan(at('task:a:task completed'));
      expect(at('agent:b:model answered')).toBeGreaterThan(at('task:b:task started'));
      // b has no dependants: its write-back appends "task completed", after what its agent logged.
      expect(at('task:b:task completed')).toBeGreaterThan(at('agent:b:model answered'));
      const system = entries.find((e) => e.source === 'system');
      expect(system).toMatchObject({
        level: 'warn',
        taskId: 'a',
        worker: { pid: entries[at('task:a:task started')].worker.pid },
        context: { queue: 'web_research' },
      });
    });

    it('filters by level, minLevel, source, task, agent, time range and text', async () => {
      const expectFilter = async (query: string, keep: (e: any) => boolean) => {
        const answer = await logs(sessionId, `?limit=1000&${query}`);
        expect(answer.status).toBe(200);
        expect(answer.body.entries).toEqual(entries.filter(keep));
        expect(answer.body.entries.length).toBeGreaterThan(0);
      };
      await expectFilter('level=info', (e) => e.level === 'info');
      await expectFilter('minLevel=warn', (e) => LEVELS.indexOf(e.level) >= 2);
      await expectFilter('source=agent', (e) => e.source === 'agent');
      await expectFilter('source=system,orchestrator', (e) => e.source === 'system' || e.source === 'orchestrator');
      await expectFilter('taskId=b', (e) => e.taskId === 'b');
      const agentId = entries.find((e) => e.source === 'agent' && e.taskId === 'b').agentId;
      await expectFilter(`agentId=${encodeURIComponent(agentId)}`, (e) => e.agentId === agentId);
      const middle = entries[Math.floor(entries.length / 2)].time;
      await expectFilter(`since=${middle}`, (e) => e.time >= middle);
      await expectFilter(`until=${middle}`, (e) => e.time <= middle);
      await expectFilter('q=MODEL%20ANSWERED', (e) => e.message.includes('model answered'));
      await expectFilter('q=web_research', (e) => JSON.stringify(e.context ?? {}).includes('web_research') || e.message.includes('web_research'));
      await expectFilter('source=task&taskId=a&minLevel=info', (e) => e.source === 'task' && e.taskId === 'a');
      const newest = await logs(sessionId, '?limit=1000&order=desc');
      expect(newest.body.entries).toEqual([...entries].reverse());
    });

    it('pages with a cursor, oldest or newest first, without gaps or repeats', async () => {
      for (const order of ['asc', 'desc']) {
        const seen: any[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: any = await logs(sessionId, `?limit=3&order=${order}${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.body.entries.length).toBeLessThanOrEqual(3);
          seen.push(...page.body.entries);
          cursor = page.body.nextCursor;
          pages++;
        } while (cursor && pages < 100);
        expect(seen).toEqual(order === 'asc' ? entries : [...entries].reverse());
      }
      // With a filter, pages hold only matches.
      const first = await logs(sessionId, '?limit=2&source=task');
      const second = await logs(sessionId, `?limit=2&source=task&cursor=${first.body.nextCursor}`);
      expect([...first.body.entries, ...second.body.entries]).toEqual(entries.filter((e) => e.source === 'task').slice(0, 4));
    });

    it('answers stats that match the entries', async () => {
      const stats = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs/stats`)).body;
      const count = (key: string, value: string) => entries.filter((e) => e[key] === value).length;
      expect(stats.total).toBe(entries.length);
      expect(stats.byLevel).toEqual(Object.fromEntries(LEVELS.map((l) => [l, count('level', l)])));
      expect(stats.bySource).toEqual(Object.fromEntries(['orchestrator', 'agent', 'task', 'system'].map((s) => [s, count('source', s)])));
      const errors = entries.filter((e) => e.level === 'error' || e.level === 'critical');
      expect(stats.errorRate).toBeCloseTo(errors.length / entries.length, 10);
      expect(stats.firstError).toEqual(errors[0] ?? null);
      expect(stats.lastError).toEqual(errors[errors.length - 1] ?? null);
      expect(stats).toMatchObject({ firstAt: entries[0].time, lastAt: entries[entries.length - 1].time, dropped: 0, written: entries.length });
    });

    it('rejects bad parameters with 400 naming them, and unknown sessions with 404', async () => {
      for (const [query, path] of [
        ['limit=0', 'limit'],
        ['level=loud', 'level'],
        ['minLevel=x', 'minLevel'],
        ['source=kernel', 'source'],
        ['order=up', 'order'],
        ['since=yesterday', 'since'],
        ['cursor=abc', 'cursor'],
        ['since=2026-11-25T12:00:00Z&until=2026-11-25T11:00:00Z', 'until'],
      ]) {
        const answer = await logs(sessionId, `?${query}`);
        expect(answer.status).toBe(400);
        expect(answer.body.errors.map((e: any) => e.path.split('[')[0])).toContain(path);
      }
      expect((await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs/export?format=xml`)).status).toBe(400);
      const unknown = '0-00000000-0000-4000-8000-000000000000';
      expect((await logs(unknown)).status).toBe(404);
      expect((await stack.request('GET', `/api/orchestrator/sessions/${unknown}/logs/stats`)).status).toBe(404);
      expect((await stack.request('GET', `/api/orchestrator/sessions/${unknown}/logs/export`)).status).toBe(404);
    });

    it("gives the log the session's retention time to live", async () => {
      const logKey = `{${stack.prefix}-0}:_sy:session:${sessionId}:log`;
      const ttl = await stack.redis.ttl(logKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(86_400);
    });
  });

  it('exports 10,000 entries completely, as NDJSON and as CSV', async () => {
    const plan = { tasks: [{ id: 'only', capabilities: ['web_research'] }] };
    const sessionId = (await stack.request('POST', '/api/orchestrator/orchestrate', { plan })).body.sessionId;
    await stack.waitForSession(sessionId);
    const tag = shardTag(stack.prefix, 0);
    // Messages with the characters CSV must quote; more than the bound, so the log ends up exactly full.
    const total = 10_050;
    await withWriter(stack, {}, (writer) => {
      for (let i = 0; i < total; i++) {
        writer.write(tag, {
          level: LEVELS[i % 5] as any,
          source: 'agent',
          sessionId,
          taskId: 'only',
          agentId: 'seeder',
          message: `seed ${i}, "quoted"\nsecond line`,
          context: { i, note: 'a,b' },
        });
      }
    });
    const ndjson = await fetch(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/logs/export?format=ndjson`, { headers: authHeader('viewer') });
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await ndjson.text()).split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed).toHaveLength(10_000);
    parsed.forEach((e, n) => expect(e.context.i).toBe(total - 10_000 + n));
    expect(parsed[0].message).toBe(`seed ${total - 10_000}, "quoted"\nsecond line`);

    const csv = await fetch(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/logs/export?format=csv&order=desc`, { headers: authHeader('viewer') });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = parseCsv(await csv.text());
    expect(rows[0]).toEqual(['id', 'time', 'level', 'source', 'sessionId', 'taskId', 'agentId', 'workerHost', 'workerPid', 'message', 'context']);
    const records = rows.slice(1);
    expect(records).toHaveLength(10_000);
    expect(records.map((r) => r[0])).toEqual(parsed.map((e) => e.id).reverse());
    expect(records[0][9]).toBe(`seed ${total - 1}, "quoted"\nsecond line`);
    expect(JSON.parse(records[0][10])).toEqual({ i: total - 1, note: 'a,b' });

    const stats = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/logs/stats`)).body;
    expect(stats.total).toBe(10_000);
    expect(stats.dropped).toBe(stats.written - 10_000);
    expect(stats.written).toBeGreaterThan(total);
  });

  it('keeps only the newest entries beyond the bound', async () => {
    const plan = { tasks: [{ id: 'only', capabilities: ['web_research'] }] };
    const sessionId = (await stack.request('POST', '/api/orchestrator/orchestrate', { plan })).body.sessionId;
    await stack.waitForSession(sessionId);
    await withWriter(stack, { SWITCHYARD_LOG_MAX_ENTRIES: '10' }, (writer) => {
      for (let i = 0; i < 25; i++) writer.write(shardTag(stack.prefix, 0), { level: 'info', source: 'system', sessionId, message: `entry ${i}` });
    });
    const kept = await all(sessionId);
    expect(kept.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `entry ${15 + i}`));
  });

  it('writes nothing for a session that does not exist', async () => {
    const sessionId = '0-00000000-0000-4000-8000-0000000000aa';
    await withWriter(stack, {}, (writer) => writer.write(shardTag(stack.prefix, 0), { level: 'info', source: 'system', sessionId, message: 'orphan' }));
    expect(await stack.redis.exists(`{${stack.prefix}-0}:_sy:session:${sessionId}:log`)).toBe(0);
  });

  it('streams log entries with the events, and resumes both exactly after Last-Event-ID', async () => {
    const plan = {
      tasks: [
        { id: 'a', capabilities: ['web_research'] },
        { id: 'b', capabilities: ['code_generation'], dependsOn: ['a'] },
      ],
    };
    const sessionId = (await stack.request('POST', '/api/orchestrator/orchestrate', { plan })).body.sessionId;
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events?logLevel=info`;
    const first = await readEvents(url, { stopAfter: 7 });
    expect(first.events).toHaveLength(7);
    const rest = await readEvents(url, { lastEventId: first.events[6].id });
    const whole = await readEvents(url);
    expect([...first.events, ...rest.events]).toEqual(whole.events);

    const last = whole.events[whole.events.length - 1];
    expect(last).toMatchObject({ event: 'session', data: { status: 'completed' } });
    // The task and session events are exactly those of the plain stream.
    const plain = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`);
    expect(whole.events.filter((e) => e.event !== 'log').map((e) => ({ ...e, id: e.id.split('_')[0] }))).toEqual(plain.events);
    // The log events are exactly the entries at info or above appended before the final event.
    const logPosition = last.id.split('_')[1];
    const order = (id: string) => id.split('-').map(BigInt);
    const upTo = (id: string) => order(id)[0] < order(logPosition)[0] || (order(id)[0] === order(logPosition)[0] && order(id)[1] <= order(logPosition)[1]);
    const expected = (await all(sessionId)).filter((e) => e.level !== 'debug' && upTo(e.id));
    expect(whole.events.filter((e) => e.event === 'log').map((e) => e.data)).toEqual(expected);
    expect(expected.some((e) => e.source === 'agent')).toBe(true);

    const warnOnly = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events?logLevel=warn`);
    expect(warnOnly.events.filter((e) => e.event === 'log')).toEqual([]);
    expect((await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events?logLevel=loud`)).status).toBe(400);
  });

  it('sends a log entry and an event of the same millisecond in one order, live and on a later read', async () => {
    // A wait keeps the session open for 2 s while the test writes into its two streams.
    const plan = { tasks: [{ id: 'w', kind: 'wait', durationMs: 2000 }] };
    const sessionId = (await stack.request('POST', '/api/orchestrator/orchestrate', { plan })).body.sessionId;
    const streamKey = async (suffix: string) => (await stack.keys()).find((key) => key.endsWith(`:session:${sessionId}:${suffix}`))!;
    const [seconds, micros] = await stack.redis.time();
    const tie = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 600}-0`;
    // The log entry is written first; the event of the same id comes while a reader is live.
    await stack.redis.xadd(await streamKey('log'), tie, 'time', new Date().toISOString(), 'level', 'info', 'source', 'system', 'message', 'tie');
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events?logLevel=info`;
    const live = readEvents(url, { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stack.redis.xadd(
      await streamKey('events'),
      tie,
      'type',
      'task',
      'data',
      JSON.stringify({ taskId: 'w', status: 'running', at: new Date().toISOString() }),
    );
    const liveEvents = (await live).events;
    const tied = liveEvents.filter((e) => e.id.split('_')[e.event === 'log' ? 1 : 0] === tie).map((e) => e.event);
    // Ties go to the event, whenever the reader came.
    expect(tied).toEqual(['task', 'log']);
    expect((await readEvents(url)).events).toEqual(liveEvents);
  });

  it('counts task runs in /metrics exactly, and /stats shows the same figures', async () => {
    const before = (await stack.request('GET', '/api/orchestrator/stats')).body.tasks.byCapability;
    const startedBefore = (cap: string) => before[cap]?.started ?? 0;
    const plan = {
      tasks: [
        { id: 'r1', capabilities: ['data_analysis'] },
        { id: 'r2', capabilities: ['data_analysis'], dependsOn: ['r1'] },
        { id: 'flaky', capabilities: ['pattern_recognition'], input: { simulateFailures: 1 }, attempts: 2, backoffMs: 10 },
      ],
    };
    const sessionId = (await stack.request('POST', '/api/orchestrator/orchestrate', { plan })).body.sessionId;
    expect((await stack.waitForSession(sessionId)).status).toBe('completed');
    let text = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      // An admin's scrape: the deployment's figures, queues and workers included.
      const response = await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader('admin') });
      expect(response.headers.get('content-type')).toContain('text/plain');
      text = await response.text();
      if (sample(text, 'switchyard_tasks_completed_total', { capability: 'pattern_recognition' }) >= 1) break;
    }
    expect(startedBefore('data_analysis') + startedBefore('pattern_recognition')).toBe(0);
    expect(sample(text, 'switchyard_tasks_started_total', { capability: 'data_analysis' })).toBe(2);
    expect(sample(text, 'switchyard_tasks_completed_total', { capability: 'data_analysis' })).toBe(2);
    expect(sample(text, 'switchyard_tasks_started_total', { capability: 'pattern_recognition' })).toBe(2);
    expect(sample(text, 'switchyard_tasks_completed_total', { capability: 'pattern_recognition' })).toBe(1);
    expect(sample(text, 'switchyard_tasks_failed_total', { capability: 'pattern_recognition', final: 'false' })).toBe(1);
    expect(sample(text, 'switchyard_tasks_failed_total', { capability: 'pattern_recognition', final: 'true' })).toBe(0);
    expect(sample(text, 'switchyard_task_duration_seconds_count', { capability: 'data_analysis' })).toBe(2);
    expect(sample(text, 'switchyard_task_duration_seconds_bucket', { capability: 'data_analysis', le: '+Inf' })).toBe(2);
    expect(sample(text, 'switchyard_dispatch_latency_seconds_count', { capability: 'data_analysis' })).toBe(2);
    expect(sample(text, 'switchyard_queue_workers', { queue: 'data_analysis' })).toBe(1);
    expect(text).toContain('switchyard_live_agents{capability="data_analysis"} 1');
    expect(text).toContain('# TYPE switchyard_task_duration_seconds histogram');

    const stats = (await stack.request('GET', '/api/orchestrator/stats')).body;
    expect(stats.tasks.byCapability.data_analysis).toMatchObject({ started: 2, completed: 2, failed: 0 });
    expect(stats.tasks.byCapability.pattern_recognition).toMatchObject({ started: 2, completed: 1, failed: 1, failedFinal: 0 });
    expect(stats.tasks.byCapability.data_analysis.durationSeconds.count).toBe(2);
    expect(stats.tasks.started).toBe(sample(text, 'switchyard_tasks_started_total'));
    expect(stats.queues.find((q: any) => q.queue === 'data_analysis')).toMatchObject({ workers: 1, waiting: 0 });
    expect(stats.liveAgents).toMatchObject({
      source: 'active agents offering the capability (hosted by a worker, or remote)',
      byCapability: { data_analysis: 1 },
    });
  });
});
