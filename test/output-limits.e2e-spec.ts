import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from './support/stack';

const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Bounds small enough that a test reaches them with a few files read from the workspace. */
const MAX_OUTPUT_BYTES = 16_384;
const MAX_SESSION_BYTES = 40_000;

describe('what tasks leave in Redis', () => {
  let workspace: string;
  let stack: Stack;

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'sy-e2e-outputs-'));
    // The test's sessions are tenant acme's: their files are in acme's workspace.
    const files = join(workspace, 'tenants', 'acme');
    await mkdir(files, { recursive: true });
    // 12 KB files: three fit in a session's outputs, a fourth does not.
    for (const name of ['a', 'b', 'c', 'd']) await writeFile(join(files, `${name}.txt`), name.repeat(12_000));
    await writeFile(join(files, 'big.txt'), 'x'.repeat(MAX_OUTPUT_BYTES + 1));
    stack = await Stack.start({
      env: {
        SWITCHYARD_WORKSPACE_DIR: workspace,
        SWITCHYARD_MAX_OUTPUT_BYTES: String(MAX_OUTPUT_BYTES),
        SWITCHYARD_MAX_SESSION_BYTES: String(MAX_SESSION_BYTES),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(workspace, { recursive: true, force: true });
  });

  const run = async (tasks: unknown[]) => {
    const accepted = await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks } });
    expect(accepted.status).toBe(202);
    return stack.waitForSession(accepted.body.sessionId, undefined, 60_000);
  };

  it('a chain of 12 data_analysis tasks: each output stays the size of the first, not double the one before', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `step-${i + 1}`);
    const session = await run(
      ids.map((id, i) =>
        i === 0
          ? { id, capabilities: ['data_analysis'], input: { data: 'queue,ms,region\nmail,100,eu\nsearch,80,us\nmail,120,eu\n' } }
          : { id, capabilities: ['data_analysis'], dependsOn: [ids[i - 1]] },
      ),
    );
    expect(session.status).toBe('completed');
    const sizes = ids.map((id) => bytes(task(session, id).output));
    expect(sizes[11]).toBeLessThan(2 * sizes[0]);
    // From the third on, each describes an output of the same shape as the one before it.
    expect(Math.max(...sizes.slice(2))).toBeLessThan(1.1 * Math.min(...sizes.slice(2)));
    expect(task(session, 'step-12').output).toMatchObject({ source: 'dependencies', rows: 1, columns: { task: { values: [{ value: 'step-11' }] } } });
  });

  it('a task whose output is over SWITCHYARD_MAX_OUTPUT_BYTES fails at once, without retries, stores nothing, and its policy applies', async () => {
    const read = (id: string, path: string, extra: Record<string, unknown> = {}) => ({
      id,
      capabilities: ['file_operations'],
      input: { operation: 'read', path },
      ...extra,
    });
    const session = await run([
      read('big', 'big.txt', { attempts: 3, backoffMs: 10, onFailure: 'continue' }),
      { id: 'after', capabilities: ['data_analysis'], dependsOn: ['big'] },
    ]);
    expect(session.status).toBe('completed');
    const big = task(session, 'big');
    expect(big).toMatchObject({ status: 'failed', attempts: 1, error: { name: 'OutputTooLargeError', taskId: 'big' } });
    expect(big.error.message).toMatch(
      new RegExp(`^Task "big" returned an output of \\d+ bytes as JSON, over the limit of ${MAX_OUTPUT_BYTES} bytes \\(SWITCHYARD_MAX_OUTPUT_BYTES\\)`),
    );
    expect(big.output).toBeUndefined();
    expect(session.result.outputs.big).toBeNull();
    // `continue`: its dependant ran without it.
    expect(task(session, 'after')).toMatchObject({ status: 'completed', output: { rows: 0 } });

    const failing = await run([read('big', 'big.txt', { attempts: 3, backoffMs: 10 })]);
    expect(failing.status).toBe('failed');
    expect(failing.error).toMatchObject({ name: 'OutputTooLargeError', taskId: 'big' });
    expect(task(failing, 'big')).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('subtasks an agent returns count as its output: a list over the limit fails the task before any is recorded', async () => {
    // The planner puts the goal into each subtask's input: with this one, its list is over 16 KB.
    const goal = `Write a report on ${'queue latency '.repeat(300)}`;
    const session = await run([{ id: 'breakdown', capabilities: ['task_decomposition'], input: { goal }, attempts: 3, backoffMs: 10 }]);
    expect(session.status).toBe('failed');
    expect(task(session, 'breakdown')).toMatchObject({ status: 'failed', attempts: 1, error: { name: 'OutputTooLargeError' } });
    expect(task(session, 'breakdown').error.message).toContain('returned subtasks of');
    expect(session.tasks.map((t: any) => t.id)).toEqual(['breakdown']);
  });

  it("a task whose output would take its session's stored outputs over SWITCHYARD_MAX_SESSION_BYTES fails at once, and it is not stored", async () => {
    const read = (id: string, dependsOn: string[] = []) => ({
      id,
      capabilities: ['file_operations'],
      input: { operation: 'read', path: `${id}.txt` },
      dependsOn,
      attempts: 3,
      backoffMs: 10,
    });
    const session = await run([read('a'), read('b', ['a']), read('c', ['b']), read('d', ['c'])]);
    expect(session.status).toBe('failed');
    expect(session.tasks.map((t: any) => t.status)).toEqual(['completed', 'completed', 'completed', 'failed']);
    const d = task(session, 'd');
    expect(d).toMatchObject({ attempts: 1, error: { name: 'SessionOutputsFullError', taskId: 'd' } });
    expect(d.error.message).toContain(`over the limit of ${MAX_SESSION_BYTES} bytes (SWITCHYARD_MAX_SESSION_BYTES)`);
    expect(d.output).toBeUndefined();
    const stored = bytes(task(session, 'a').output) + bytes(task(session, 'b').output) + bytes(task(session, 'c').output);
    expect(stored).toBeLessThanOrEqual(MAX_SESSION_BYTES);
  });

  it("tasks finishing together never take a session's stored outputs over the bound", async () => {
    const reads = ['a', 'b', 'c', 'd'].map((id) => ({
      id,
      capabilities: ['file_operations'],
      input: { operation: 'read', path: `${id}.txt` },
      onFailure: 'continue',
    }));
    const session = await run(reads);
    expect(session.status).toBe('completed');
    const failed = session.tasks.filter((t: any) => t.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 1, error: { name: 'SessionOutputsFullError' } });
    const stored = session.tasks.filter((t: any) => t.output !== undefined).reduce((sum: number, t: any) => sum + bytes(t.output), 0);
    expect(stored).toBeLessThanOrEqual(MAX_SESSION_BYTES);
  });
});
