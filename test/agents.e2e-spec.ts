import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopbackServer } from '@switchyard/agents/testing/loopback-server';
import { OpenAiServer } from './support/openai-server';
import { Stack } from './support/stack';

const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);

describe('a worker on an OpenAI-compatible model server', () => {
  let model: OpenAiServer;
  let stack: Stack;

  beforeAll(async () => {
    // An OpenAI-compatible server: the plan, the research and the review as structured output,
    // anything else the start of the prompt.
    model = await OpenAiServer.start();
    model.handle((call) => {
      const prompt = call.body.messages.at(-1)!.content ?? '';
      switch (call.body.response_format?.json_schema?.name) {
        case 'switchyard_plan':
          return {
            text: JSON.stringify({
              tasks: [
                { id: 'research', capabilities: ['web_research'], input: { instruction: 'Find how Redis persists' } },
                { id: 'draft', capabilities: ['document_creation'], dependsOn: ['research'] },
                { id: 'review', capabilities: ['code_review'], dependsOn: ['draft'] },
              ],
            }),
          };
        case 'research_findings':
          return { text: JSON.stringify({ summary: `served: ${prompt.split('\n')[0]}`, findings: ['RDB and AOF'] }) };
        case 'review':
          return { text: JSON.stringify({ verdict: 'approved', comments: [`served: ${prompt.split('\n')[0]}`] }) };
        default:
          return { text: `served: ${prompt.split('\n')[0]}` };
      }
    });
    stack = await Stack.start({
      env: {
        SWITCHYARD_MODEL_PROVIDER: 'openai',
        SWITCHYARD_OPENAI_BASE_URL: model.baseUrl,
        SWITCHYARD_OPENAI_API_KEY: 'e2e-key',
        SWITCHYARD_MODEL: 'tiny-model',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await model?.stop();
  });

  it('plans and runs a goal to completion with every model call answered by the server', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { goal: 'Write a report on Redis persistence' });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    expect(session.planning).toMatchObject({ rounds: 1, model: 'tiny-model' });
    expect(session.tasks.map((t: any) => t.id)).toEqual(['research', 'draft', 'review']);
    for (const t of session.tasks) {
      expect(t.output).toMatchObject({ model: 'tiny-model', text: expect.stringMatching(new RegExp(`^served: Task ${t.id}:`)) });
    }
    expect(task(session, 'review').output.verdict).toBe('approved');
    // One call to plan, one per task; all streamed, with the usage chunk asked for.
    expect(model.calls.length).toBe(4);
    for (const call of model.calls) {
      expect(call.headers.authorization).toBe('Bearer e2e-key');
      expect(call.body).toMatchObject({
        model: 'tiny-model',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'system' }, { role: 'user' }],
      });
    }
  });
});

describe('the tool agents in a worker', () => {
  let api: LoopbackServer;
  let workspace: string;
  let stack: Stack;

  beforeAll(async () => {
    api = await LoopbackServer.start((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify([
          { queue: 'mail', ms: 120 },
          { queue: 'search', ms: 80 },
        ]),
      );
    });
    workspace = await mkdtemp(join(tmpdir(), 'sy-e2e-workspace-'));
    stack = await Stack.start({ env: { SWITCHYARD_WORKSPACE_DIR: workspace, SWITCHYARD_HTTP_ALLOWED_HOSTS: `127.0.0.1:${api.port}` } });
  });

  afterAll(async () => {
    await stack?.stop();
    await api?.stop();
    await rm(workspace, { recursive: true, force: true });
  });

  it('writes and reads a file, calls an allowed host, and describes both results; refusals fail their tasks', async () => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          {
            id: 'write',
            capabilities: ['file_operations'],
            input: { operation: 'write', path: 'in/latency.csv', content: 'queue,ms\r\nmail,100\r\n"search, eu",300\r\n' },
          },
          { id: 'read', capabilities: ['file_operations'], dependsOn: ['write'], input: { operation: 'read', path: 'in/latency.csv' } },
          { id: 'file-stats', capabilities: ['data_analysis'], dependsOn: ['read'], input: { from: 'read', percentiles: [50] } },
          { id: 'fetch', capabilities: ['api_integration'], input: { url: `${api.origin}/metrics` } },
          { id: 'api-stats', capabilities: ['data_analysis'], dependsOn: ['fetch'], input: { from: 'fetch', percentiles: [50] } },
          { id: 'escape', capabilities: ['file_operations'], input: { operation: 'read', path: '../../etc/passwd' }, onFailure: 'continue', attempts: 3 },
          { id: 'elsewhere', capabilities: ['api_integration'], input: { url: 'http://example.com/' }, onFailure: 'continue', attempts: 3 },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    // acme's admin ran it: the file is in acme's workspace.
    expect(await readFile(join(workspace, 'tenants', 'acme', 'in', 'latency.csv'), 'utf8')).toContain('mail,100');
    expect(task(session, 'read').agentId).toMatch(/^files@/);
    expect(task(session, 'file-stats').output).toMatchObject({
      source: 'dependency read',
      rows: 2,
      columns: { queue: { type: 'text', distinct: 2 }, ms: { type: 'number', min: 100, max: 300, mean: 200, percentiles: { p50: 200 } } },
    });
    expect(task(session, 'fetch')).toMatchObject({ agentId: expect.stringMatching(/^http@/), output: { status: 200, bodyType: 'json' } });
    expect(task(session, 'api-stats').output).toMatchObject({ source: 'dependency fetch', columns: { ms: { mean: 100 } } });
    // Refusals are not retried: they would fail the same way.
    expect(task(session, 'escape')).toMatchObject({ status: 'failed', attempts: 1, error: { name: 'WorkspacePathError' } });
    expect(task(session, 'escape').error.message).toContain('Path "../../etc/passwd" is refused');
    expect(task(session, 'elsewhere')).toMatchObject({ status: 'failed', attempts: 1, error: { name: 'HostNotAllowedError' } });
    expect(task(session, 'elsewhere').error.message).toContain('host "example.com" is not in SWITCHYARD_HTTP_ALLOWED_HOSTS');
  });
});
