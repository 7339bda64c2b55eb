import { Stack } from './support/stack';

const health = (stack: Stack, headers: Record<string, string> = {}) => stack.request('GET', '/api/orchestrator/health', undefined, undefined, headers);

/** The session as its first read after its acceptance shows it. */
const firstRead = async (stack: Stack, sessionId: string) => (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body;

describe('capabilities that no live agent serves', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
    await stack.addWorker({ SWITCHYARD_AGENTS: 'researcher' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("show in /health as degraded (the list for a key only) and as the waiting tasks' waitingFor at once; the work runs once a worker serves them", async () => {
    // task_decomposition is needed by every goal: without a planner the deployment is degraded.
    const idle = await health(stack);
    expect(idle.status).toBe(200);
    expect(idle.body).toMatchObject({ status: 'degraded', details: { agents: { status: 'degraded', capabilitiesWithoutLiveAgent: ['task_decomposition'] } } });

    const plan = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'] },
          { id: 'review', capabilities: ['code_review'], dependsOn: ['research'] },
        ],
      },
    });
    const goal = await stack.request('POST', '/api/orchestrator/orchestrate', { goal: 'Summarise Redis persistence' });
    expect([plan.status, goal.status]).toEqual([202, 202]);
    // A task still waiting for its dependencies shows what it will wait for too.
    const waiting = await firstRead(stack, plan.body.sessionId);
    expect(waiting.tasks.find((t: any) => t.id === 'review').waitingFor).toBe('no live agent with capability code_review');
    expect(waiting.tasks.find((t: any) => t.id === 'research').waitingFor).toBeUndefined();
    const planning = await firstRead(stack, goal.body.sessionId);
    expect(planning.planning).toMatchObject({ status: 'ready', waitingFor: 'no live agent with capability task_decomposition' });

    // The capabilities with work waiting for them, and task_decomposition.
    const degraded = await health(stack);
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.details.agents.capabilitiesWithoutLiveAgent).toEqual(['code_review', 'task_decomposition']);
    // Without a key: degraded, without the list.
    const anyone = await health(stack, { authorization: '' });
    expect(anyone.status).toBe(200);
    expect(anyone.body).toMatchObject({ status: 'degraded', details: { agents: { status: 'degraded' } } });
    expect(JSON.stringify(anyone.body)).not.toMatch(/code_review|task_decomposition/);
    // Readiness is the API's own: it stays up.
    const ready = await stack.request('GET', '/api/orchestrator/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');

    await stack.addWorker({ SWITCHYARD_AGENTS: 'planner,reviewer,coder' });
    const done = await stack.waitForSession(plan.body.sessionId);
    expect(done.status).toBe('completed');
    expect(done.tasks.every((t: any) => t.waitingFor === undefined)).toBe(true);
    expect((await stack.waitForSession(goal.body.sessionId)).status).toBe('completed');
    const healthy = await health(stack);
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ status: 'ok', details: { agents: { status: 'up' } } });
  });

  it('counts an active agent registered over REST as live: it pulls its tasks over HTTP', async () => {
    const created = await stack.request('POST', '/api/orchestrator/agents', {
      id: 'translator-1',
      name: 'translator',
      type: 'translator',
      capabilities: ['translation'],
      kind: 'specialised',
      permission: 'limited',
      maxLoad: 2,
      customCapabilities: [{ name: 'translation', description: 'Translate text', category: 'communication' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'active', source: 'api' });

    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'translate', capabilities: ['translation'] }] } });
    expect(accepted.status).toBe(202);
    // Not held for want of an agent: it waits for the remote agent to pull it (test/remote-agents.e2e-spec.ts).
    const waiting = await firstRead(stack, accepted.body.sessionId);
    expect(waiting.tasks[0].waitingFor).toBeUndefined();

    const pick = await stack.request('POST', '/api/orchestrator/agents/select', { capabilities: ['translation'] });
    expect(pick.body.selected.id).toBe('translator-1');
    const capabilities = (await stack.request('GET', '/api/orchestrator/capabilities')).body;
    expect(capabilities.find((c: any) => c.name === 'translation').agents).toBe(1);
    // Nothing is without a live agent (the list is left out then).
    expect((await health(stack)).body.details.agents.capabilitiesWithoutLiveAgent ?? []).toEqual([]);

    await stack.request('DELETE', `/api/orchestrator/sessions/${accepted.body.sessionId}`);
    await stack.request('DELETE', '/api/orchestrator/agents/translator-1');
  });
});
