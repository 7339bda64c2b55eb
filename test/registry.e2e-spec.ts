import { authHeader } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { Stack } from './support/stack';
import { until } from './support/until';

/** Short heartbeats, so agents of a killed worker go offline in about 1.5 s. */
const FAST_REGISTRY = { SWITCHYARD_HEARTBEAT_MS: '300', SWITCHYARD_AGENT_TTL_MS: '1500' };

const agentsOf = async (stack: Stack, worker: AppProcess): Promise<any[]> =>
  (await stack.request('GET', '/api/orchestrator/agents')).body.filter((a: any) => a.worker?.pid === worker.pid);

describe('agent registry and routing', () => {
  let stack: Stack;
  let researchers: AppProcess;
  let coders: AppProcess;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: FAST_REGISTRY });
    researchers = await stack.addWorker({ SWITCHYARD_AGENTS: 'researcher' });
    coders = await stack.addWorker({ SWITCHYARD_AGENTS: 'coder' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the agents each worker registered, with filters', async () => {
    const all = (await stack.request('GET', '/api/orchestrator/agents')).body;
    expect(all).toHaveLength(2);
    const [researcher] = await agentsOf(stack, researchers);
    expect(researcher).toMatchObject({
      id: expect.stringMatching(/^researcher@.+:\d+$/),
      type: 'researcher',
      kind: 'specialised',
      permission: 'full',
      status: 'active',
      maxLoad: 4,
      currentLoad: 0,
      source: 'worker',
      worker: { pid: researchers.pid },
      lastHeartbeat: expect.any(String),
    });
    expect((await stack.request('GET', '/api/orchestrator/agents?type=coder')).body.map((a: any) => a.worker.pid)).toEqual([coders.pid]);
    expect((await stack.request('GET', '/api/orchestrator/agents?capability=web_research')).body.map((a: any) => a.type)).toEqual(['researcher']);
    expect((await stack.request('GET', '/api/orchestrator/agents?status=draining')).body).toEqual([]);
    const one = await stack.request('GET', `/api/orchestrator/agents/${encodeURIComponent(researcher.id)}`);
    expect(one.body).toMatchObject({ id: researcher.id, type: 'researcher' });

    const capabilities = (await stack.request('GET', '/api/orchestrator/capabilities')).body;
    expect(capabilities).toHaveLength(19);
    const byName = Object.fromEntries(capabilities.map((c: any) => [c.name, c]));
    expect(byName.web_research).toMatchObject({ category: 'research', description: expect.any(String), agents: 1, privileged: false });
    expect(byName.database_operations).toMatchObject({ category: 'integration', agents: 1, privileged: true });
    expect(byName.code_review.agents).toBe(0);
  });

  it('documents the registry routes, with examples, in the OpenAPI document', async () => {
    const doc = (await stack.request('GET', '/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/orchestrator/agents',
        '/api/orchestrator/agents/{id}',
        '/api/orchestrator/agents/select',
        '/api/orchestrator/agents/{id}/heartbeat',
        '/api/orchestrator/capabilities',
      ]),
    );
    expect(Object.keys(doc.paths['/api/orchestrator/agents'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '409']));
    expect(Object.keys(doc.paths['/api/orchestrator/agents/{id}'].delete.responses)).toEqual(expect.arrayContaining(['200', '404']));
    expect(JSON.stringify(doc.components.schemas)).toContain('sql-runner');
  });

  it('gives two workers with different capabilities only their own tasks', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'r1', capabilities: ['web_research'] },
          { id: 'c1', capabilities: ['code_generation'] },
          { id: 'r2', capabilities: ['data_synthesis'], dependsOn: ['r1', 'c1'] },
          { id: 'c2', capabilities: ['testing'], dependsOn: ['r2'] },
        ],
      },
    });
    const done = await stack.waitForSession(accepted.body.sessionId);
    expect(done.status).toBe('completed');
    const pidOf = Object.fromEntries(done.tasks.map((t: any) => [t.id, t.worker.pid]));
    expect(pidOf).toEqual({ r1: researchers.pid, r2: researchers.pid, c1: coders.pid, c2: coders.pid });
  });

  it('holds a task no live agent can take, with the reason, and runs it once a worker with the capability starts', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: { tasks: [{ id: 'review', capabilities: ['code_review'] }] },
    });
    const waiting = await stack.waitForSession(accepted.body.sessionId, (s) => s.tasks[0].waitingFor !== undefined);
    expect(waiting.tasks[0]).toMatchObject({ status: 'ready', waitingFor: 'no live agent with capability code_review' });
    expect(waiting.status).not.toBe('failed');

    // A goal waits for a planner the same way.
    const goal = await stack.request('POST', '/api/orchestrator/orchestrate', { goal: 'Summarise Redis persistence' });
    const unplanned = await stack.waitForSession(goal.body.sessionId, (s) => s.planning?.waitingFor !== undefined);
    expect(unplanned.planning).toMatchObject({ status: 'ready', waitingFor: 'no live agent with capability task_decomposition' });

    const reviewers = await stack.addWorker({ SWITCHYARD_AGENTS: 'reviewer' });
    const done = await stack.waitForSession(accepted.body.sessionId);
    expect(done.status).toBe('completed');
    expect(done.tasks[0]).toMatchObject({ status: 'completed', worker: { pid: reviewers.pid } });
    expect(done.tasks[0].waitingFor).toBeUndefined();
    await reviewers.stop('SIGTERM');
  });

  it('removes the agents of a worker stopped with SIGTERM', async () => {
    const extra = await stack.addWorker({ SWITCHYARD_AGENTS: 'planner' });
    expect((await agentsOf(stack, extra)).map((a) => a.type)).toEqual(['planner']);
    expect(await extra.stop('SIGTERM')).toBe(0);
    expect(await agentsOf(stack, extra)).toEqual([]);
  });

  it('registers an external agent over REST, with a custom capability plans may then use', async () => {
    const plan = { plan: { tasks: [{ id: 't', capabilities: ['translation'] }] } };
    expect((await stack.request('POST', '/api/orchestrator/orchestrate', plan)).status).toBe(400);

    const created = await stack.request('POST', '/api/orchestrator/agents', {
      id: 'translator-1',
      name: 'translator',
      type: 'translator',
      capabilities: ['translation', 'web_research'],
      kind: 'specialised',
      permission: 'limited',
      priority: 3,
      maxLoad: 2,
      customCapabilities: [{ name: 'translation', description: 'Translate text', category: 'communication' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'translator-1',
      status: 'active',
      currentLoad: 0,
      maxLoad: 2,
      priority: 3,
      worker: null,
      source: 'api',
      lastHeartbeat: expect.any(String),
    });
    const capabilities = (await stack.request('GET', '/api/orchestrator/capabilities')).body;
    expect(capabilities.find((c: any) => c.name === 'translation')).toMatchObject({
      // A live agent: one registered over REST pulls its tasks over HTTP (test/remote-agents.e2e-spec.ts).
      category: 'communication',
      description: 'Translate text',
      custom: true,
      privileged: false,
      agents: 1,
    });
    expect((await stack.request('POST', '/api/orchestrator/orchestrate', plan)).status).toBe(202);
    // Its queue joins Bull Board, which was mounted before the capability existed.
    const board = async () =>
      ((await (await fetch(`${stack.baseUrl}/admin/queues/api/queues`, { headers: authHeader('admin') })).json()) as { queues: { name: string }[] }).queues.map(
        (q) => q.name,
      );
    const deadline = Date.now() + 5000;
    while (!(await board()).includes('translation') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await board()).toContain('translation');
    // A worker's stand-in takes the task for the agent to pull, and counts it in the agent's load.
    // Wait for that count (heartbeating, so the agent stays alive), so that the load the agent
    // reports below is not raised again by that count arriving after it.
    await until("the parked task to count in the remote agent's load", async () => {
      const alive = (await stack.request('POST', '/api/orchestrator/agents/translator-1/heartbeat', {})).body;
      return alive.currentLoad === 1 ? alive : undefined;
    });

    // A live agent keeps its id; heartbeats report its load.
    const again = await stack.request('POST', '/api/orchestrator/agents', {
      id: 'translator-1',
      name: 'x',
      type: 'translator',
      capabilities: ['web_research'],
      kind: 'specialised',
      permission: 'full',
    });
    expect(again.status).toBe(409);
    const beat = await stack.request('POST', '/api/orchestrator/agents/translator-1/heartbeat', { currentLoad: 1 });
    expect(beat.body).toMatchObject({ id: 'translator-1', currentLoad: 1, status: 'active' });

    // Dry run: the translator's priority 3 wins it the task (it pulls its tasks over HTTP); every other agent's reasons.
    const pick = await stack.request('POST', '/api/orchestrator/agents/select', { capabilities: ['web_research'] });
    expect(pick.status).toBe(200);
    const [coder] = await agentsOf(stack, coders);
    expect(pick.body.selected.id).toBe('translator-1');
    const reasons = Object.fromEntries(pick.body.rejected.map((r: any) => [r.agentId, r.reasons]));
    expect(reasons[coder.id]).toEqual(['agent lacks web_research']);

    expect((await stack.request('DELETE', '/api/orchestrator/agents/translator-1')).body).toEqual({ id: 'translator-1', unregistered: true });
    expect((await stack.request('GET', '/api/orchestrator/agents/translator-1')).status).toBe(404);
    expect((await stack.request('DELETE', '/api/orchestrator/agents/translator-1')).status).toBe(404);
  });

  it("refuses what an agent's kind or permission level forbids, at registration and in selection", async () => {
    const limited = await stack.request('POST', '/api/orchestrator/agents', {
      name: 'dba',
      type: 'dba',
      capabilities: ['database_operations'],
      kind: 'specialised',
      permission: 'limited',
    });
    expect(limited.status).toBe(400);
    expect(limited.body.errors).toEqual([{ path: 'capabilities', message: 'a limited agent may not take privileged capabilities: database_operations' }]);

    const readonly = await stack.request('POST', '/api/orchestrator/agents', {
      name: 'fs',
      type: 'fs',
      capabilities: ['file_operations', 'web_research'],
      kind: 'specialised',
      permission: 'readonly',
    });
    expect(readonly.body.errors).toEqual([{ path: 'capabilities', message: 'a readonly agent may not take privileged capabilities: file_operations' }]);

    const guest = await stack.request('POST', '/api/orchestrator/agents', {
      name: 'visitor',
      type: 'visitor',
      capabilities: ['web_research', 'code_generation'],
      kind: 'guest',
      permission: 'full',
    });
    expect(guest.status).toBe(400);
    expect(guest.body.errors).toEqual([{ path: 'capabilities', message: 'a guest agent may not take code_generation (not on the guest allow-list)' }]);

    // A limited agent with what it may take is accepted, and then passed over for privileged work.
    const ok = await stack.request('POST', '/api/orchestrator/agents', {
      id: 'limited-1',
      name: 'limited',
      type: 'coder',
      capabilities: ['code_generation'],
      kind: 'specialised',
      permission: 'limited',
      priority: 9,
    });
    expect(ok.status).toBe(201);
    const pick = await stack.request('POST', '/api/orchestrator/agents/select', {
      capabilities: ['code_generation', 'database_operations'],
      agentType: 'coder',
    });
    const [coder] = await agentsOf(stack, coders);
    expect(pick.body.selected.id).toBe(coder.id);
    expect(pick.body.rejected.find((r: any) => r.agentId === 'limited-1').reasons).toEqual([
      'agent lacks database_operations',
      'a limited agent may not take privileged capabilities: database_operations',
    ]);
    await stack.request('DELETE', '/api/orchestrator/agents/limited-1');
    expect((await stack.keys()).filter((k) => k.includes('limited-1'))).toEqual([]);
  });

  it('answers 400 naming the field for bad registrations, filters and selections, and registers nothing', async () => {
    const before = (await stack.request('GET', '/api/orchestrator/agents')).body.map((a: any) => a.id);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/orchestrator/agents', { name: 'x', type: 'x', capabilities: ['telepathy'], kind: 'specialised', permission: 'full' }, 'capabilities[0]'],
      ['POST', '/api/orchestrator/agents', { name: 'x', type: 'x', capabilities: ['web_research'], kind: 'specialised', permission: 'root' }, 'permission'],
      ['POST', '/api/orchestrator/agents', { name: 'x', type: 'x', capabilities: ['web_research'], kind: 'alien', permission: 'full' }, 'kind'],
      ['POST', '/api/orchestrator/agents', { name: 'x', type: 'x', capabilities: [], kind: 'specialised', permission: 'full' }, 'capabilities'],
      [
        'POST',
        '/api/orchestrator/agents',
        { name: 'x', type: 'x', capabilities: ['web_research'], kind: 'specialised', permission: 'full', maxLoad: 0 },
        'maxLoad',
      ],
      [
        'POST',
        '/api/orchestrator/agents',
        { name: 'x', type: 'x', capabilities: ['web_research'], kind: 'specialised', permission: 'full', colour: 'red' },
        '(body)',
      ],
      ['POST', '/api/orchestrator/agents/select', { capabilities: [] }, 'capabilities'],
      ['POST', '/api/orchestrator/agents/select', { capabilities: ['Web Research'] }, 'capabilities[0]'],
      ['GET', '/api/orchestrator/agents?status=sleeping', undefined, 'status'],
      ['GET', '/api/orchestrator/agents/not%20an%20id', undefined, 'id'],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await stack.request(method, path, body);
      expect({ path, field, status: answer.status }).toEqual({ path, field, status: 400 });
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body.errors.map((e: any) => e.path)).toContain(field);
    }
    const unknown = await stack.request('POST', '/api/orchestrator/agents', {
      name: 'x',
      type: 'x',
      capabilities: ['telepathy'],
      kind: 'specialised',
      permission: 'full',
    });
    expect(unknown.body.detail).toContain('unknown capability "telepathy"');
    expect((await stack.request('GET', '/api/orchestrator/agents/nobody')).status).toBe(404);
    expect((await stack.request('GET', '/api/orchestrator/agents')).body.map((a: any) => a.id)).toEqual(before);
  });

  it('stops giving tasks to an agent unregistered over REST; its task waits for another', async () => {
    const [researcher] = await agentsOf(stack, researchers);
    expect((await stack.request('DELETE', `/api/orchestrator/agents/${encodeURIComponent(researcher.id)}`)).status).toBe(200);
    // Its own line: the translator's stand-in, gone earlier, left one for `translation`.
    await researchers.waitForLine((line) => line.includes('no agent here takes this capability any more') && line.includes('"capability":"web_research"'));
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'r', capabilities: ['web_research'] }] } });
    const waiting = await stack.waitForSession(accepted.body.sessionId, (s) => s.tasks[0].waitingFor !== undefined);
    expect(waiting.tasks[0]).toMatchObject({ status: 'ready', waitingFor: 'no live agent with capability web_research' });
    // Its worker does not bring it back with its heartbeats.
    await new Promise((r) => setTimeout(r, 700));
    expect(await agentsOf(stack, researchers)).toEqual([]);

    const fresh = await stack.addWorker({ SWITCHYARD_AGENTS: 'researcher' });
    const done = await stack.waitForSession(accepted.body.sessionId);
    expect(done.tasks[0]).toMatchObject({ status: 'completed', worker: { pid: fresh.pid } });
  });
});

describe('a worker killed with SIGKILL', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { ...FAST_REGISTRY, SWITCHYARD_LOCK_DURATION_MS: '1000', SWITCHYARD_AGENTS: 'coder' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('goes offline within the agent TTL, leaves routing, and its task runs on the other worker', async () => {
    const doomed = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '60000' });
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'build', capabilities: ['code_generation'] }] } });
    const sessionId = accepted.body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.tasks[0].status === 'running');
    const agent = await until("the running task to count in its agent's load", async () => {
      const [record] = await agentsOf(stack, doomed);
      return record?.currentLoad === 1 ? record : undefined;
    });
    expect(agent.status).toBe('active');

    const survivor = await stack.addWorker();
    await doomed.stop('SIGKILL');
    const offline = await until("the killed worker's agent to go offline", async () => {
      const record = (await stack.request('GET', `/api/orchestrator/agents/${encodeURIComponent(agent.id)}`)).body;
      return record.status === 'offline' ? record : undefined;
    });
    expect(offline.id).toBe(agent.id);
    const pick = await stack.request('POST', '/api/orchestrator/agents/select', { capabilities: ['code_generation'] });
    expect(pick.body.selected.worker.pid).toBe(survivor.pid);
    expect(pick.body.rejected).toEqual([{ agentId: agent.id, reasons: expect.arrayContaining(['agent is offline']) }]);

    const done = await stack.waitForSession(sessionId);
    expect(done.status).toBe('completed');
    expect(done.tasks[0]).toMatchObject({ status: 'completed', worker: { pid: survivor.pid }, attempts: 2 });
    // The survivor's load went back to zero once the task was done.
    const [survivorAgent] = await agentsOf(stack, survivor);
    await until("the survivor's load to be counted back down", async () =>
      (await stack.request('GET', `/api/orchestrator/agents/${encodeURIComponent(survivorAgent.id)}`)).body.currentLoad === 0 ? true : undefined,
    );
  });
});

describe('a worker stopped with SIGTERM', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0, env: { ...FAST_REGISTRY, SWITCHYARD_AGENTS: 'researcher' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows its agents draining while it finishes its task, then removes them', async () => {
    const worker = await stack.addWorker({ SWITCHYARD_OFFLINE_LATENCY_MS: '3000' });
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'r', capabilities: ['web_research'] }] } });
    await stack.waitForSession(accepted.body.sessionId, (s) => s.tasks[0].status === 'running');
    const stopping = worker.stop('SIGTERM');
    const draining = await until('its agent to show as draining', async () => {
      const [agent] = await agentsOf(stack, worker);
      return agent?.status === 'draining' ? agent : undefined;
    });
    expect(draining).toMatchObject({ type: 'researcher', currentLoad: 1 });
    const pick = await stack.request('POST', '/api/orchestrator/agents/select', { capabilities: ['web_research'] });
    expect(pick.body.selected).toBeNull();
    expect(pick.body.rejected).toEqual([{ agentId: draining.id, reasons: ['agent is draining'] }]);
    expect(await stopping).toBe(0);
    expect(await agentsOf(stack, worker)).toEqual([]);
    // It finished its running task before it went (the session's last step needs a worker again).
    const view = await stack.waitForSession(accepted.body.sessionId, () => true);
    expect(view.tasks[0]).toMatchObject({ status: 'completed', worker: { pid: worker.pid } });
  });
});

describe('admission timeout', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { ...FAST_REGISTRY, SWITCHYARD_AGENTS: 'researcher', SWITCHYARD_ADMISSION_TIMEOUT_MS: '1000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('fails a task that no live agent could take within the wait, with the reason', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'] },
          { id: 'review', capabilities: ['code_review'], dependsOn: ['research'] },
        ],
      },
    });
    const done = await stack.waitForSession(accepted.body.sessionId);
    expect(done.status).toBe('failed');
    expect(done.tasks[0].status).toBe('completed');
    expect(done.tasks[1]).toMatchObject({ status: 'failed', error: { name: 'AdmissionTimeoutError' } });
    expect(done.tasks[1].error.message).toMatch(/^Task "review" waited \d+ ms for no live agent with capability code_review$/);
    expect(done.error.message).toContain('no live agent with capability code_review');
  });
});
