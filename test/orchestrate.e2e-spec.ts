import { authHeader } from './support/api-keys';
import { runOrderViolations } from './support/run-order';
import { Stack } from './support/stack';

/** Checks that every task started only after everything it waits for had finished, with their results. */
function expectRunOrder(session: any): void {
  expect(runOrderViolations(session)).toEqual([]);
}

describe('orchestrate: goal → plan → flow → workers → result', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a goal to its aggregated result, every step on the worker, in dependency order', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      goal: 'Implement a rate limiter API and write a report on it',
      context: { audience: 'operators' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ sessionId: expect.stringMatching(/^0-/), status: 'pending' });

    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    expect(session.context).toEqual({ audience: 'operators' });

    const worker = stack.workers[0];
    expect(session.planning).toMatchObject({ status: 'completed', worker: { pid: worker.pid } });
    expect(session.planning.agentId).toMatch(/^planner@/);

    // The planner's plan: at least three steps, with dependencies between them.
    expect(session.tasks.length).toBeGreaterThanOrEqual(3);
    expect(session.tasks.filter((t: any) => t.dependsOn.length > 0).length).toBeGreaterThanOrEqual(2);
    for (const task of session.tasks) {
      expect(task.status).toBe('completed');
      expect(task.worker).toEqual({ host: expect.any(String), pid: worker.pid });
      expect(task.worker.pid).not.toBe(stack.api.pid);
      expect(task.agentId).toMatch(/^(planner|researcher|coder|reviewer)@/);
      expect(task.attempts).toBe(1);
      // The agent received exactly its dependencies' results.
      expect([...task.output.basedOn].sort()).toEqual([...task.dependsOn].sort());
      for (const dep of task.dependsOn) {
        expect(task.output.text).toContain(`From ${dep}: ${session.tasks.find((t: any) => t.id === dep).output.text.slice(0, 40)}`);
      }
    }
    expectRunOrder(session);

    // The aggregated result holds every step's output.
    expect(Object.keys(session.result.outputs).sort()).toEqual(session.tasks.map((t: any) => t.id).sort());
    for (const task of session.tasks) expect(session.result.outputs[task.id]).toEqual(task.output);
    expect(Object.keys(session.result.final)).toEqual(['review']);
  });

  it('runs an explicit plan: a tree with cross-branch dependencies', async () => {
    const plan = {
      tasks: [
        { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
        {
          id: 'draft',
          capabilities: ['document_creation'],
          dependsOn: ['research'],
          children: [
            { id: 'outline', capabilities: ['workflow_design'] },
            { id: 'figures', capabilities: ['data_analysis'], dependsOn: ['outline', 'research'] },
          ],
        },
        { id: 'review', capabilities: ['code_review'], dependsOn: ['draft', 'figures'], priority: 5, attempts: 2 },
      ],
    };
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    expect(session.planning).toBeUndefined();
    expect(session.tasks.map((t: any) => [t.id, t.parentId])).toEqual([
      ['research', null],
      ['draft', null],
      ['outline', 'draft'],
      ['figures', 'draft'],
      ['review', null],
    ]);
    expectRunOrder(session);
    // A parent receives its children's results as well as its dependencies'.
    expect(session.tasks.find((t: any) => t.id === 'draft').output.basedOn.sort()).toEqual(['figures', 'outline', 'research']);
  });

  it('lists the workflow templates and runs one to its result', async () => {
    const list = await stack.request('GET', '/api/orchestrator/templates');
    expect(list.status).toBe(200);
    expect(list.body.map((t: any) => t.name)).toEqual(expect.arrayContaining(['research-report', 'implement-and-review', 'data-analysis']));

    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      template: { name: 'research-report', params: { topic: 'AOF', sections: ['Costs', 'Risks'] } },
    });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session).toMatchObject({ status: 'completed', template: 'research-report' });
    expect(session.tasks.map((t: any) => [t.id, t.parentId])).toEqual([
      ['research', null],
      ['draft', null],
      ['section-costs', 'draft'],
      ['section-risks', 'draft'],
      ['review', null],
    ]);
    expectRunOrder(session);
  });

  it('runs a diamond: one task fans out to two, which fan in to one', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'top', capabilities: ['web_research'] },
          { id: 'left', capabilities: ['code_generation'], dependsOn: ['top'] },
          { id: 'right', capabilities: ['data_analysis'], dependsOn: ['top'] },
          { id: 'bottom', capabilities: ['code_review'], dependsOn: ['left', 'right'] },
        ],
      },
    });
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    expectRunOrder(session);
    const bottom = session.tasks.find((t: any) => t.id === 'bottom');
    expect([...bottom.output.basedOn].sort()).toEqual(['left', 'right']);
    expect(session.tasks.every((t: any) => t.attempts === 1)).toBe(true);
  });

  it('retries a failing task with backoff until it succeeds', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'flaky', capabilities: ['web_research'], input: { simulateFailures: 2 }, attempts: 3, backoffMs: 100 },
          { id: 'after', capabilities: ['document_creation'], dependsOn: ['flaky'] },
        ],
      },
    });
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    const flaky = session.tasks.find((t: any) => t.id === 'flaky');
    expect(flaky).toMatchObject({ status: 'completed', attempts: 3 });
    expect(flaky.error).toBeUndefined();
    // Backoff: 100 ms, then 200 ms, between the three runs.
    expect(Date.parse(flaky.finishedAt) - Date.parse(session.createdAt)).toBeGreaterThanOrEqual(300);
    expect(session.tasks.find((t: any) => t.id === 'after').status).toBe('completed');
  });

  it('answers 400 naming the field for a malformed body, and leaves nothing in Redis', async () => {
    const before = await stack.keys();
    const cases: [unknown, string][] = [
      [{}, '(body)'],
      [{ goal: '' }, 'goal'],
      [{ goal: 'x', plan: { tasks: [{ id: 'a', capabilities: ['web_research'] }] } }, '(body)'],
      [{ goal: 'x', colour: 'red' }, '(body)'],
      [{ plan: { tasks: [{ id: 'a', capabilities: ['web_research'], dependsOn: ['ghost'] }] } }, 'plan.tasks[0].dependsOn[0]'],
      [{ plan: { tasks: [{ id: 'a', capabilities: ['telepathy'] }] } }, 'plan.tasks[0].capabilities[0]'],
      [
        {
          plan: {
            tasks: [
              { id: 'a', capabilities: ['web_research'], dependsOn: ['b'] },
              { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
            ],
          },
        },
        'plan.tasks',
      ],
      [{ template: { name: 'no-such-template' } }, 'template.name'],
      [{ template: { name: 'data-analysis', params: { question: 'why?', datasets: [] } } }, 'template.params.datasets'],
      [{ goal: 'x', template: { name: 'research-report', params: { topic: 'AOF' } } }, '(body)'],
    ];
    for (const [body, path] of cases) {
      const answer = await stack.request('POST', '/api/orchestrator/orchestrate', body);
      expect(answer.status).toBe(400);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ type: expect.any(String), title: 'Validation failed', status: 400 });
      expect(answer.body.errors.map((e: any) => e.path).join(' ')).toContain(path);
    }
    const malformed = await stack.request('POST', '/api/orchestrator/orchestrate', undefined, '{"goal":');
    expect(malformed.status).toBe(400);
    // Nothing new (a previous session's root job may still be finishing: its transient keys go).
    const after = await stack.keys();
    expect(after.filter((k) => !before.includes(k))).toEqual([]);
  });

  it('answers 404 for an unknown session and 400 for a malformed id', async () => {
    const unknown = await stack.request('GET', '/api/orchestrator/sessions/0-00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('0-00000000-0000-4000-8000-000000000000');
    const malformed = await stack.request('GET', '/api/orchestrator/sessions/nope*');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].path).toBe('id');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await stack.request('GET', '/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/orchestrator/orchestrate', '/api/orchestrator/sessions/{id}', '/api/orchestrator/templates']),
    );
    const orchestrate = doc.body.paths['/api/orchestrator/orchestrate'].post;
    expect(Object.keys(orchestrate.responses)).toEqual(expect.arrayContaining(['202', '400']));
    expect(orchestrate.requestBody).toBeDefined();
  });

  it('serves Bull Board at /admin/queues over every queue, with the jobs run so far', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks: [{ id: 'one', capabilities: ['web_research'] }] } });
    await stack.waitForSession(accepted.body.sessionId);
    const page = await fetch(`${stack.baseUrl}/admin/queues`, { headers: authHeader('admin') });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const api = (await (await fetch(`${stack.baseUrl}/admin/queues/api/queues`, { headers: authHeader('admin') })).json()) as { queues: any[] };
    const names = api.queues.map((q) => q.name);
    // The 19 capabilities' queues, the session queue and the wait queue.
    expect(names).toHaveLength(21);
    expect(names).toEqual(expect.arrayContaining(['web_research', 'task_decomposition', 'code_review', 'sy.session', 'sy.wait']));
    expect(api.queues.find((q) => q.name === 'web_research').counts.completed).toBeGreaterThan(0);
  });

  it('stops a worker cleanly on SIGTERM (exit code 0)', async () => {
    const code = await stack.workers[0].stop('SIGTERM');
    expect(code).toBe(0);
    expect(stack.workers[0].lines.some((l) => l.includes('"msg":"worker stopped"'))).toBe(true);
  });
});
