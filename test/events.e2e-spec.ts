import { readEvents } from './support/sse-client';
import { Stack } from './support/stack';

describe('live session events (SSE)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '100' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const plan = {
    tasks: [
      { id: 'a', capabilities: ['web_research'] },
      { id: 'b', capabilities: ['code_generation'], dependsOn: ['a'] },
      { id: 'p', capabilities: ['code_review'], dependsOn: ['b'], children: [{ id: 'c', capabilities: ['testing'] }] },
    ],
  };

  it("streams every task transition in order and ends with the session's final status", async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${accepted.body.sessionId}/events`;
    const { status, events } = await readEvents(url);
    expect(status).toBe(200);

    // Ids strictly increase (Redis stream ids: "<ms>-<seq>").
    const order = (id: string) => id.split('-').map(Number);
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [order(events[i - 1].id), order(events[i].id)];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
    const statusesOf = (taskId: string) => events.filter((e) => e.event === 'task' && e.data.taskId === taskId).map((e) => e.data.status);
    expect(statusesOf('a')).toEqual(['ready', 'running', 'completed']);
    expect(statusesOf('b')).toEqual(['waiting', 'ready', 'running', 'completed']);
    // A child waits for its parent's dependencies too.
    expect(statusesOf('c')).toEqual(['waiting', 'ready', 'running', 'completed']);
    expect(statusesOf('p')).toEqual(['waiting', 'ready', 'running', 'completed']);
    const running = events.find((e) => e.event === 'task' && e.data.status === 'running')!;
    expect(running.data).toMatchObject({ attempt: 1, agentId: expect.any(String), worker: { pid: stack.workers[0].pid }, at: expect.any(String) });

    const sessionEvents = events.filter((e) => e.event === 'session').map((e) => e.data.status);
    expect(sessionEvents).toEqual(['pending', 'running', 'completed']);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ event: 'session', data: { status: 'completed', result: { final: expect.any(Object) } } });
  });

  it('resumes after Last-Event-ID: nothing twice, nothing missed; a late subscriber gets the whole story', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${accepted.body.sessionId}/events`;
    const first = await readEvents(url, { stopAfter: 5 });
    expect(first.events).toHaveLength(5);
    const rest = await readEvents(url, { lastEventId: first.events[4].id });
    const whole = await readEvents(url); // after the end: a full replay
    expect([...first.events, ...rest.events]).toEqual(whole.events);
    expect(whole.events[whole.events.length - 1].data.status).toBe('completed');
  });

  it('answers 404 for an unknown session and 400 for a malformed Last-Event-ID', async () => {
    const unknown = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/0-00000000-0000-4000-8000-000000000000/events`);
    expect(unknown.status).toBe(404);
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    const bad = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${accepted.body.sessionId}/events`, { lastEventId: 'yesterday' });
    expect(bad.status).toBe(400);
  });
});
