import { readEvents, SseEvent } from './support/sse-client';
import { Stack } from './support/stack';
import { TEST_AGENTS_WORKER, testAgentsWorkerEnv } from './support/agents';

const CAP = 50;

/** The delta events of one task, in the order received. */
const deltasOf = (events: SseEvent[], taskId: string) => events.filter((e) => e.event === 'delta' && e.data.taskId === taskId).map((e) => e.data);

const pieces = (count: number, attempt = 1) => Array.from({ length: count }, (_, seq) => ({ taskId: 'talk', attempt, seq, text: `piece-${seq}` }));

/**
 * Streamed output (`context.emit`) as `delta` events on the session's event stream: stored with
 * its events, so that a subscriber that drops and resumes with Last-Event-ID, or comes late, gets
 * each one exactly once and in order; bounded per task; left out with `?deltas=off`.
 */
describe('deltas on the event stream', () => {
  let stack: Stack;
  let sessionId: string;
  let live: SseEvent[];

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
    await stack.addWorker(testAgentsWorkerEnv({ SWITCHYARD_MAX_TASK_DELTAS: String(CAP) }), 'worker', TEST_AGENTS_WORKER);
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'talk', capabilities: ['stream_text'], input: { count: 45, pauseMs: 40 } },
          { id: 'chatty', capabilities: ['stream_text'], input: { count: 120 } },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    sessionId = accepted.body.sessionId;
    // A subscriber from the start that loses its connection after 12 events, then resumes.
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`;
    const first = await readEvents(url, { stopAfter: 12 });
    const rest = await readEvents(url, { lastEventId: first.events.at(-1)!.id });
    live = [...first.events, ...rest.events];
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('gives a subscriber that dropped and resumed with Last-Event-ID every delta once, in order, and the output is unchanged', async () => {
    expect(deltasOf(live, 'talk')).toEqual(pieces(45));
    expect(new Set(live.map((e) => e.id)).size).toBe(live.length);
    expect(live.at(-1)).toMatchObject({ event: 'session', data: { status: 'completed' } });
    // Every delta of a task comes before its completion.
    const completed = live.findIndex((e) => e.event === 'task' && e.data.taskId === 'talk' && e.data.status === 'completed');
    const lastDelta = live.findLastIndex((e) => e.event === 'delta' && e.data.taskId === 'talk');
    expect(lastDelta).toBeLessThan(completed);
    const session = await stack.waitForSession(sessionId);
    expect(session.tasks.find((t: any) => t.id === 'talk').output).toEqual({ pieces: 45 });
  });

  it('gives a late subscriber every delta, and stops a task at its cap with one marker and one warning', async () => {
    const late = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`);
    expect(late.events.map((e) => e.id)).toEqual(live.map((e) => e.id));
    expect(deltasOf(late.events, 'talk')).toEqual(pieces(45));
    const chatty = deltasOf(late.events, 'chatty');
    expect(chatty).toHaveLength(CAP + 1);
    expect(chatty.slice(0, CAP).map((d) => d.seq)).toEqual([...Array(CAP).keys()]);
    expect(chatty[CAP]).toEqual({ taskId: 'chatty', attempt: 1, seq: CAP, text: '', truncated: true });
    const session = await stack.waitForSession(sessionId);
    expect(session.tasks.find((t: any) => t.id === 'chatty').output).toEqual({ pieces: 120 });
    const warnings = stack.workers[0].lines.filter((l) => l.includes('deltas dropped'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"taskId":"chatty"');
  });

  it('leaves the deltas out with ?deltas=off, and refuses another value', async () => {
    const url = `${stack.baseUrl}/api/orchestrator/sessions/${sessionId}/events`;
    const off = await readEvents(`${url}?deltas=off`);
    expect(off.events.filter((e) => e.event === 'delta')).toEqual([]);
    expect(off.events.map((e) => e.id)).toEqual(live.filter((e) => e.event !== 'delta').map((e) => e.id));
    const bad = await stack.request('GET', `/api/orchestrator/sessions/${sessionId}/events?deltas=maybe`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('deltas');
  });
});
