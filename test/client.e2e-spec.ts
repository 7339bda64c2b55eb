import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, SessionEvent, SwitchyardClient, UnauthorizedError } from '@switchyard/client';
import { TEST_KEYS } from './support/api-keys';
import { readEvents } from './support/sse-client';
import { Stack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

const ROOT = join(__dirname, '..');
const GENERATED = join(ROOT, 'libs/client/src/generated/openapi.ts');

/** A chain of tasks that takes a while with the offline latency: long enough to cut its stream mid-way. */
const chain = (length: number) => ({
  tasks: Array.from({ length }, (_, i) => ({ id: `step${i}`, capabilities: ['web_research'], ...(i > 0 ? { dependsOn: [`step${i - 1}`] } : {}) })),
});

describe('@switchyard/client against a real stack', () => {
  let stack: Stack;
  let client: SwitchyardClient;
  let routes: string[];

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '150' } });
    client = new SwitchyardClient({ baseUrl: stack.baseUrl, apiKey: TEST_KEYS.admin.key });
    routes = Object.keys((await stack.request('GET', '/docs-json')).body.paths);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('has types made from the API document as it is now (regenerate them as libs/client/README.md says)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-client-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), JSON.stringify((await stack.request('GET', '/docs-json')).body));
      const made = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), 'openapi.json', '-o', 'openapi.ts'],
          { cwd: dir, timeout: 60_000 },
          (error) => (error ? reject(error) : resolve(readFileSync(join(dir, 'openapi.ts'), 'utf8'))),
        ),
      );
      expect(readFileSync(GENERATED, 'utf8') === made).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a session and follows its events through dropped connections with no gap and no repeat', async () => {
    const proxy = await TcpProxy.start(stack.baseUrl);
    try {
      const viaProxy = new SwitchyardClient({ baseUrl: proxy.url, apiKey: TEST_KEYS.admin.key });
      const { sessionId, status } = await viaProxy.orchestrate({ plan: chain(6) });
      expect(status).toBe('pending');
      const seen: SessionEvent[] = [];
      for await (const event of viaProxy.sessions.events(sessionId, { reconnectDelayMs: 50 })) {
        seen.push(event);
        // Cut every connection after the 3rd and the 9th event, while the session still runs.
        if (seen.length === 3 || seen.length === 9) proxy.cut();
      }
      expect(proxy.cuts).toBe(2);
      // The orchestrate request, the stream, and a new connection after each cut at least.
      expect(proxy.connections).toBeGreaterThanOrEqual(3);
      // What a reader of the whole stream in one go sees, once the session has ended.
      const whole = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`);
      expect(seen.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
      expect(seen.map((e) => e.event)).toEqual(whole.events.map((e) => e.event));
      expect(seen.at(-1)).toMatchObject({ event: 'session', data: { status: 'completed' } });
      expect(seen.filter((e) => e.event === 'task' && e.data.status === 'completed').map((e) => e.event === 'task' && e.data.taskId)).toEqual(
        chain(6).tasks.map((t) => t.id),
      );
    } finally {
      await proxy.stop();
    }
  });

  it('reads a session, its state, context, logs and log statistics, and exports them', async () => {
    const { sessionId } = await client.orchestrate({ plan: chain(2), context: { audience: 'operators' } });
    const session = await client.sessions.wait(sessionId);
    expect(session).toMatchObject({ sessionId, status: 'completed', context: { audience: 'operators' } });
    expect(session.tasks.map((t) => [t.id, t.status])).toEqual([
      ['step0', 'completed'],
      ['step1', 'completed'],
    ]);
    expect((await client.sessions.state(sessionId)).shared.audience).toMatchObject({ value: 'operators' });
    const logs = await client.sessions.logs(sessionId, { source: 'task', limit: 100 });
    expect(logs.entries.length).toBeGreaterThan(0);
    expect(logs.entries.every((e) => e.source === 'task' && e.sessionId === sessionId)).toBe(true);
    expect((await client.sessions.logStats(sessionId)).total).toBeGreaterThan(0);
    const ndjson = await client.sessions.exportLogs(sessionId);
    expect(ndjson.trim().split('\n').length).toBeGreaterThan(1);
    expect((await client.sessions.streamToken(sessionId)).url).toContain(`/sessions/${sessionId}/events?token=`);
  });

  it('resolves a paused task, patches a running session context and cancels a session', async () => {
    const { sessionId } = await client.orchestrate({ plan: { tasks: [{ id: 'review', kind: 'approval', capabilities: ['code_review'] }, ...chain(1).tasks] } });
    await stack.waitForSession(sessionId, (s) => s.status === 'paused' || s.tasks.some((t: any) => t.status === 'paused'));
    expect(await client.sessions.patchContext(sessionId, { reviewer: 'ops' })).toEqual({ reviewer: 'ops' });
    const answer = await client.sessions.resolve(sessionId, 'review', { action: 'provide', output: { verdict: 'approved' } });
    expect(answer).toMatchObject({ sessionId, taskId: 'review', action: 'provide' });
    expect((await client.sessions.wait(sessionId)).tasks.find((t) => t.id === 'review')).toMatchObject({
      status: 'completed',
      output: { verdict: 'approved' },
    });

    const long = await client.orchestrate({ plan: chain(20) });
    expect(await client.sessions.cancel(long.sessionId)).toEqual({ sessionId: long.sessionId, status: 'cancelled' });
    expect((await client.sessions.wait(long.sessionId)).status).toBe('cancelled');
  });

  it('lists, registers, heartbeats and unregisters agents; reads templates, capabilities, health, stats and metrics; initializes', async () => {
    const agents = await client.agents.list({ type: 'researcher' });
    expect(agents.length).toBeGreaterThan(0);
    expect(await client.agents.get(agents[0].id)).toMatchObject({ id: agents[0].id, type: 'researcher' });
    const registered = await client.agents.register({ name: 'remote', type: 'remote', capabilities: ['web_research'], kind: 'guest', permission: 'limited' });
    expect(registered).toMatchObject({ name: 'remote', status: 'active' });
    expect(await client.agents.heartbeat(registered.id, { currentLoad: 0 })).toMatchObject({ id: registered.id });
    expect(await client.agents.unregister(registered.id)).toEqual({ id: registered.id, unregistered: true });
    expect((await client.agents.capabilities()).map((c) => c.name)).toContain('web_research');
    expect((await client.agents.select({ capabilities: ['web_research'] })).selected).toBeTruthy();
    expect((await client.templates()).map((t) => t.name)).toContain('research-report');
    expect((await client.health()).status).toBe('ok');
    expect(await client.stats()).toHaveProperty('tasks');
    expect(await client.metrics()).toContain('switchyard_');
    expect(await client.initialize()).toHaveProperty('deployment');
  });

  it('throws the typed error of each refusal, with the problem fields', async () => {
    const invalid = await client.orchestrate({ plan: { tasks: [{ id: 'a', capabilities: ['no_such_capability'] }] } }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect(invalid).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: expect.stringContaining('plan.tasks[0]') })] });
    expect((invalid as BadRequestError).detail).toContain('no_such_capability');
    const missing = await client.sessions.get('0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    const stranger = new SwitchyardClient({ baseUrl: stack.baseUrl, apiKey: 'sy_wrong' });
    await expect(stranger.templates()).rejects.toBeInstanceOf(UnauthorizedError);
    const viewer = new SwitchyardClient({ baseUrl: stack.baseUrl, apiKey: TEST_KEYS.viewer.key });
    await expect(viewer.orchestrate({ goal: 'anything' })).rejects.toBeInstanceOf(ForbiddenError);
    const { sessionId } = await client.orchestrate({ plan: chain(1) });
    await client.sessions.wait(sessionId);
    await expect(client.sessions.cancel(sessionId)).rejects.toBeInstanceOf(ConflictError);
  });

  // GET /api/orchestrator/sessions comes with branch `ui`. Until it is merged no controller
  // declares it, and this test is skipped; once one does, it runs (and the route must be in /docs-json).
  const listRoute = '/api/orchestrator/sessions';
  const listRouteDeclared = readdirSync(join(ROOT, 'apps/api/src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.controller.ts'))
    .some((file) => /@Get\('sessions'\)/.test(readFileSync(join(ROOT, 'apps/api/src', file), 'utf8')));
  (listRouteDeclared ? it : it.skip)('lists the sessions newest first, filtered by status, page by page (GET /api/orchestrator/sessions)', async () => {
    expect(routes).toContain(listRoute);
    const started = [];
    for (let i = 0; i < 3; i += 1) started.push((await client.orchestrate({ plan: chain(1) })).sessionId);
    for (const id of started) await client.sessions.wait(id);
    const first = await client.sessions.list({ status: ['completed'], limit: 2 });
    expect(first.sessions).toHaveLength(2);
    expect(first.sessions.every((s) => s.status === 'completed')).toBe(true);
    expect(first.sessions[0].sessionId).toBe(started[2]);
    expect(first.nextCursor).not.toBeNull();
    const second = await client.sessions.list({ status: ['completed'], limit: 2, cursor: first.nextCursor! });
    expect(second.sessions.map((s) => s.sessionId)).not.toContain(first.sessions[0].sessionId);
    // No status chosen (an empty list) filters nothing, as the route reads a missing filter.
    const unfiltered = await client.sessions.list({ status: [], limit: 1 });
    expect(unfiltered.sessions.map((s) => s.sessionId)).toEqual([started[2]]);
  });
});
