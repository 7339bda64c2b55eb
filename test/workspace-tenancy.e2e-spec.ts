import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeader } from './support/api-keys';
import { Stack } from './support/stack';

const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);

/** file_operations keeps each tenant in a workspace of its own (SWITCHYARD_WORKSPACE_DIR/tenants/<tenant>). */
describe('file workspaces per tenant', () => {
  let workspace: string;
  let stack: Stack;

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'sy-e2e-tenancy-'));
    stack = await Stack.start({ env: { SWITCHYARD_WORKSPACE_DIR: workspace } });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(workspace, { recursive: true, force: true });
  });

  /** Runs a plan as `as` (a test key) and answers the finished session. */
  const runPlan = async (as: 'operator' | 'otherOperator', tasks: unknown[]) => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks } }, undefined, authHeader(as));
    expect(accepted.status).toBe(202);
    const session = await stack.waitForSession(accepted.body.sessionId, undefined, 30_000);
    // Read back as its own tenant (the view above was read as acme's admin).
    return (await stack.request('GET', `/api/orchestrator/sessions/${accepted.body.sessionId}`, undefined, undefined, authHeader(as))).body ?? session;
  };

  it("a tenant's files cannot be read, listed, written over or deleted by another tenant", async () => {
    const written = await runPlan('operator', [
      { id: 'write', capabilities: ['file_operations'], input: { operation: 'write', path: 'acme-private/report.txt', content: 'acme only' } },
    ]);
    expect(written.status).toBe('completed');

    const path = 'acme-private/report.txt';
    const step = (id: string, input: unknown, after?: string) => ({
      id,
      capabilities: ['file_operations'],
      input,
      onFailure: 'continue',
      ...(after ? { dependsOn: [after] } : {}),
    });
    const globex = await runPlan('otherOperator', [
      step('read', { operation: 'read', path }),
      step('list', { operation: 'list' }, 'read'),
      step('list-dir', { operation: 'list', path: 'acme-private' }, 'list'),
      step('climb', { operation: 'read', path: '../acme/acme-private/report.txt' }, 'list-dir'),
      step('delete', { operation: 'delete', path }, 'climb'),
      step('write', { operation: 'write', path, content: 'globex was here' }, 'delete'),
    ]);
    expect(globex.status).toBe('completed');
    expect(task(globex, 'read')).toMatchObject({ status: 'failed', error: { name: 'WorkspaceEntryError', message: `Path "${path}": does not exist` } });
    expect(task(globex, 'list')).toMatchObject({ status: 'completed', output: { path: '.', entries: [] } });
    expect(task(globex, 'list-dir')).toMatchObject({ status: 'failed', error: { message: 'Path "acme-private": does not exist' } });
    expect(task(globex, 'climb')).toMatchObject({ status: 'failed', error: { name: 'WorkspacePathError' } });
    expect(task(globex, 'delete')).toMatchObject({ status: 'failed', error: { message: `Path "${path}": does not exist` } });
    // Its write went to its own workspace.
    expect(task(globex, 'write')).toMatchObject({ status: 'completed', output: { path, created: true } });
    expect(await readFile(join(workspace, 'tenants', 'globex', 'acme-private', 'report.txt'), 'utf8')).toBe('globex was here');
    // No error names a server path.
    const shown = JSON.stringify({ ...globex, plan: undefined });
    for (const absolute of [workspace, await realpath(workspace)]) expect(shown).not.toContain(absolute);

    const reread = await runPlan('operator', [{ id: 'read', capabilities: ['file_operations'], input: { operation: 'read', path } }]);
    expect(task(reread, 'read')).toMatchObject({ status: 'completed', output: { path, content: 'acme only' } });
    expect(await readFile(join(workspace, 'tenants', 'acme', 'acme-private', 'report.txt'), 'utf8')).toBe('acme only');
  });
});
