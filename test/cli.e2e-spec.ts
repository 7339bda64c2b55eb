import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_KEYS } from './support/api-keys';
import { readEvents } from './support/sse-client';
import { Stack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'switchyard.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the switchyard CLI, as a process against a real stack', () => {
  let stack: Stack;
  let dir: string;
  const env = () => ({ PATH: process.env.PATH ?? '', SWITCHYARD_URL: stack.baseUrl, SWITCHYARD_API_KEY: TEST_KEYS.operator.key });

  /** Runs `switchyard ...args` to its end, bounded. */
  const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<Ran> =>
    new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: { ...env(), ...extraEnv }, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const plan = (ids: string[]) => ({ tasks: ids.map((id, i) => ({ id, capabilities: ['web_research'], ...(i > 0 ? { dependsOn: [ids[i - 1]] } : {}) })) });

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '100' } });
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints its help with every command, exit 0', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'sessions', 'logs', 'resolve', 'signal', 'agents', 'templates', '--json']) expect(help.stdout).toContain(command);
  });

  it('runs a plan with --wait --json: only the final session on stdout, exit 0', async () => {
    const ran = await cli([
      'run',
      '--plan',
      file('plan.json', plan(['fetch', 'summarize'])),
      '--context',
      file('context.json', { audience: 'ops' }),
      '--wait',
      '--json',
    ]);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    const session = JSON.parse(ran.stdout);
    expect(session).toMatchObject({ status: 'completed', context: { audience: 'ops' } });
    expect(session.tasks.map((t: any) => t.status)).toEqual(['completed', 'completed']);
  });

  it('runs a goal with --watch: every transition live, then the result', async () => {
    const ran = await cli(['run', '--goal', 'Research Redis persistence', '--watch']);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    expect(ran.stdout).toMatch(/^Session \S+ accepted \(pending\)\./);
    expect(ran.stdout).toMatch(/^ {2}session {3}planning$/m);
    expect(ran.stdout).toMatch(/^ {2}task {6}\S+\s+running {2}\S+@\S+ \(attempt 1\)$/m);
    // The offline model streams its answers: each running task's text shows as lines prefixed by the task, before it completes.
    const completedAt = (taskId: string) => ran.stdout.search(new RegExp(`^ {2}task {6}${taskId}\\s+completed$`, 'm'));
    const deltas = [...ran.stdout.matchAll(/^ {2}delta {5}(\S+) +\S.*$/gm)].filter((m) => completedAt(m[1]) >= 0);
    expect(deltas.length).toBeGreaterThan(0);
    for (const delta of deltas) expect(delta.index).toBeLessThan(completedAt(delta[1]));
    expect(ran.stdout).toMatch(/^ {2}session {3}completed$/m);
    expect(ran.stdout).toMatch(/^Session \S+ completed\.\nUsage: \d+ tokens \(\d+ prompt \+ \d+ completion\), \d+ model calls?, \$[\d.e-]+\nResult: \{/m);
  });

  it('prints the events as JSON lines with --watch --json, the final session last', async () => {
    const ran = await cli(['run', '--plan', file('watched.json', plan(['w1', 'w2'])), '--watch', '--json']);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    const lines = ran.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const events = lines.slice(0, -1);
    expect(events.every((e) => typeof e.id === 'string' && ['task', 'session', 'delta'].includes(e.event))).toBe(true);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data)).toContainEqual(
      expect.objectContaining({ taskId: 'w1', attempt: 1, seq: 1, text: expect.any(String) }),
    );
    expect(events.filter((e) => e.event === 'task' && e.data.status === 'completed').map((e) => e.data.taskId)).toEqual(['w1', 'w2']);
    expect(lines.at(-1)).toMatchObject({ status: 'completed', tasks: [{ id: 'w1' }, { id: 'w2' }] });
  });

  it('keeps watching through dropped connections: every event once, in order, deltas included (Last-Event-ID)', async () => {
    const proxy = await TcpProxy.start(stack.baseUrl);
    try {
      const child = spawn(process.execPath, [BIN, 'run', '--plan', file('cut.json', plan(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'])), '--watch', '--json'], {
        env: { ...env(), SWITCHYARD_URL: proxy.url },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines = () => stdout.split('\n').filter(Boolean).length;
      // Cut every connection through the proxy after the 3rd, 10th and 20th event, while the session runs.
      const cutAt = [3, 10, 20];
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        while (cutAt.length > 0 && lines() >= cutAt[0] && !stdout.includes('"event":"session","data":{"status":"completed"')) {
          cutAt.shift();
          proxy.cut();
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect([code, stderr]).toEqual([0, '']);
      expect(proxy.cuts).toBeGreaterThanOrEqual(2);
      const printed = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const session = printed.at(-1);
      expect(session).toMatchObject({ status: 'completed' });
      // What one reader of the whole stream sees once the session ended: the same events, the same order.
      const whole = await readEvents(`${stack.baseUrl}/api/orchestrator/sessions/${session.sessionId}/events`);
      expect(printed.slice(0, -1).map((e) => `${e.id} ${e.event}`)).toEqual(whole.events.map((e) => `${e.id} ${e.event}`));
      expect(whole.events.filter((e) => e.event === 'delta').length).toBeGreaterThanOrEqual(6);
    } finally {
      await proxy.stop();
    }
  });

  it('leaves the streamed text out of --watch with --no-deltas', async () => {
    const ran = await cli(['run', '--plan', file('quiet.json', plan(['q1'])), '--watch', '--no-deltas']);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    expect(ran.stdout).toMatch(/^ {2}task {6}q1\s+completed$/m);
    expect(ran.stdout).not.toMatch(/^ {2}delta /m);
  });

  it('draws a progress bar under the transitions on a terminal', async () => {
    const log = join(dir, 'tty.log');
    const command = `${process.execPath} ${BIN} run --plan ${file('tty-plan.json', plan(['a', 'b', 'c']))} --watch`;
    // script(1) gives the CLI a pseudo-terminal, as a person's shell would.
    const ran = await new Promise<number>((resolve) =>
      execFile('script', ['-qec', command, log], { env: { ...env(), TERM: 'xterm' }, timeout: 60_000 }, (error) => resolve(error ? Number(error.code) : 0)),
    );
    expect(ran).toBe(0);
    const screen = readFileSync(log, 'utf8');
    expect(screen).toMatch(/[█░]+ 3\/3 tasks done \| session completed/);
    expect(screen).toContain('session   completed');
    // Each delta line is written whole above the bar: after the escape that clears the bar's line, with nothing of the bar in it.
    const deltaLines = screen.split(/\r?\n/).filter((line) => line.includes('  delta     '));
    expect(deltaLines.length).toBeGreaterThan(0);
    for (const line of deltaLines.map((l) => l.split('\u001b[2K').at(-1)!)) {
      expect(line).toMatch(/^ {2}delta {5}[abc] {16}\S/);
      expect(line).not.toContain('\u001b');
    }
  });

  it('stops a run at its tokens budget: nothing starts past it, one line names the limit and its usage, exit 1', async () => {
    const chain = file('budget.json', plan(['b1', 'b2', 'b3']));
    const ran = await cli(['run', '--plan', chain, '--budget-tokens', '1', '--wait']);
    expect([ran.code, ran.stderr]).toEqual([1, '']);
    expect(ran.stdout).toMatch(/^Session \S+ failed\.\nBudget exceeded: tokens used \d+ of 1 \(--budget-tokens\)\.\nUsage: \d+ tokens /m);
    const sessionId = ran.stdout.split(' ')[1];
    const shown = await cli(['sessions', 'show', sessionId]);
    expect(shown.stdout).toMatch(/^Budget exceeded: tokens used \d+ of 1 \(--budget-tokens\)\.\nBudget: tokens 1\nUsage: \d+ tokens/m);
    expect(shown.stdout).toMatch(/^b3\s+cancelled\s/m);

    const json = await cli(['run', '--plan', chain, '--budget-tokens', '1', '--budget-tasks', '5', '--budget-wall-ms', '60000', '--wait', '--json']);
    expect([json.code, json.stderr]).toEqual([1, '']);
    const session = JSON.parse(json.stdout);
    expect(session).toMatchObject({
      status: 'failed',
      budget: { tokens: 1, tasks: 5, wallMs: 60_000 },
      error: { code: 'budget_exceeded', limit: 'tokens', budget: { tokens: 1, tasks: 5, wallMs: 60_000 } },
    });
    expect(session.tasks.slice(1).map((t: any) => t.attempts)).toEqual([0, 0]);
  });

  it('shows the usage of each task and of the session', async () => {
    const finished = JSON.parse((await cli(['run', '--plan', file('usage.json', plan(['u1', 'u2'])), '--wait', '--json'])).stdout);
    expect(finished.usage).toMatchObject({ totalTokens: expect.any(Number), calls: 2 });
    const shown = await cli(['sessions', 'show', finished.sessionId]);
    expect(shown.stdout).toContain(`Usage: ${finished.usage.totalTokens} tokens (`);
    expect(shown.stdout).toMatch(/^TASK\s+STATUS\s+AGENT\s+ATTEMPTS\s+TOKENS\s+COST\s+NOTE$/m);
    expect(shown.stdout).toMatch(new RegExp(`^u1\\s+completed\\s+\\S+\\s+1\\s+${finished.tasks[0].usage.totalTokens}\\s+\\$0$`, 'm'));
  });

  it('runs a template with params', async () => {
    const ran = await cli(['run', '--template', 'research-report', '--param', 'topic=AOF', '--wait', '--json']);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'completed', template: 'research-report' });
  });

  it('exits 1 when the run it waits for fails, here because an operator aborts its paused task with resolve', async () => {
    const approval = file('approval.json', { tasks: [{ id: 'review', kind: 'approval', capabilities: ['code_review'] }] });
    const started = await cli(['run', '--plan', approval, '--idempotency-key', 'cli-abort', '--json']);
    expect(started.code).toBe(0);
    const { sessionId } = JSON.parse(started.stdout);
    // The same key again: the same session, waited for this time.
    const waiting = cli(['run', '--plan', approval, '--idempotency-key', 'cli-abort', '--wait']);
    await stack.waitForSession(sessionId, (s) => s.status === 'paused');
    const shown = await cli(['sessions', 'show', sessionId]);
    expect(shown.stdout).toMatch(/^review\s+paused\s/m);
    const resolved = await cli(['resolve', sessionId, 'review', 'abort', '--json']);
    expect([resolved.code, JSON.parse(resolved.stdout)]).toEqual([0, expect.objectContaining({ action: 'abort', taskStatus: 'failed' })]);
    const done = await waiting;
    expect(done.code).toBe(1);
    expect(done.stdout).toContain(`Session ${sessionId} failed.`);
  });

  it('resolves a paused task with provide --output JSON', async () => {
    const approval = file('approval2.json', { tasks: [{ id: 'review', kind: 'approval', capabilities: ['code_review'] }] });
    const { sessionId } = JSON.parse((await cli(['run', '--plan', approval, '--json'])).stdout);
    await stack.waitForSession(sessionId, (s) => s.status === 'paused');
    const resolved = await cli(['resolve', sessionId, 'review', 'provide', '--output', '{"verdict":"approved"}']);
    expect([resolved.code, resolved.stdout]).toEqual([0, expect.stringMatching(/^Task review of \S+: provide -> task completed/)]);
    const session = await stack.waitForSession(sessionId);
    expect(session.tasks[0]).toMatchObject({ status: 'completed', output: { verdict: 'approved' } });
  });

  it('delivers a signal with --payload JSON, shows what a task waits for, and forks the session from a task with new input and a context patch', async () => {
    const gated = file('gated.json', {
      tasks: [
        { id: 'first', capabilities: ['web_research'] },
        { id: 'gate', kind: 'signal', signal: 'approved', dependsOn: ['first'] },
        { id: 'last', capabilities: ['web_research'], dependsOn: ['gate'] },
      ],
    });
    const { sessionId } = JSON.parse((await cli(['run', '--plan', gated, '--json'])).stdout);
    await stack.waitForSession(sessionId, (s) => typeof s.tasks[1].waitingFor === 'object');
    const shown = await cli(['sessions', 'show', sessionId]);
    expect(shown.stdout).toMatch(/^gate\s+waiting\s+0\s+signal approved$/m);
    const signalled = await cli(['signal', sessionId, 'approved', '--payload', '{"by":"ops"}']);
    expect([signalled.code, signalled.stdout, signalled.stderr]).toEqual([0, `Signal approved delivered to task gate of ${sessionId} (task ready).\n`, '']);
    const again = await cli(['signal', sessionId, 'approved']);
    expect([again.code, again.stderr]).toEqual([2, expect.stringMatching(/^switchyard: the API refused it \(409 [^\n]*\n$/)]);
    const done = await stack.waitForSession(sessionId);
    expect(done.tasks[1]).toMatchObject({ status: 'completed', output: { by: 'ops' } });

    const forked = await cli([
      'sessions',
      'fork',
      sessionId,
      '--from',
      'last',
      '--input',
      '{"topic":"again"}',
      '--context',
      file('patch.json', { audience: 'ops' }),
    ]);
    expect([forked.code, forked.stderr]).toEqual([0, '']);
    expect(forked.stdout).toMatch(new RegExp(`^Session \\S+ forked from ${sessionId} at task last \\(pending\\)\\.\nRuns again: last\nKeeps: first, gate\n$`));
    const forkId = forked.stdout.split(' ')[1];
    const fork = await stack.waitForSession(forkId);
    expect(fork).toMatchObject({ status: 'completed', forkedFrom: { sessionId, taskId: 'last' }, context: { audience: 'ops' } });
    expect(fork.tasks.map((t: any) => t.reusedFrom ?? null)).toEqual([sessionId, sessionId, null]);
    const forkShown = await cli(['sessions', 'show', forkId]);
    expect(forkShown.stdout).toContain(`Forked from ${sessionId} at task last`);
    expect(forkShown.stdout).toMatch(new RegExp(`^first\\s+completed\\s+0\\s+reused from ${sessionId}$`, 'm'));
  });

  it('shows, cancels, reads logs (--level, --follow), lists agents and templates', async () => {
    const started = JSON.parse((await cli(['run', '--plan', file('long.json', plan(Array.from({ length: 40 }, (_, i) => `s${i}`))), '--json'])).stdout);
    const shown = JSON.parse((await cli(['sessions', 'show', started.sessionId, '--json'])).stdout);
    expect(shown.sessionId).toBe(started.sessionId);
    const cancelled = await cli(['sessions', 'cancel', started.sessionId]);
    expect([cancelled.code, cancelled.stdout, cancelled.stderr]).toEqual([0, `Session ${started.sessionId} cancelled.\n`, '']);

    const finished = JSON.parse((await cli(['run', '--plan', file('logged.json', plan(['a1', 'a2'])), '--wait', '--json'])).stdout);
    const logs = await cli(['logs', finished.sessionId, '--level', 'info']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n').length).toBeGreaterThan(2);
    expect(logs.stdout).not.toMatch(/ debug /);
    const followed = await cli(['logs', finished.sessionId, '--follow', '--json']);
    const entries = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.length).toBeGreaterThan(2);
    expect(entries.every((e) => e.sessionId === finished.sessionId && typeof e.message === 'string')).toBe(true);

    const agents = JSON.parse((await cli(['agents', 'list', '--json'])).stdout);
    expect(agents.map((a: any) => a.type)).toContain('researcher');
    // A remote agent (registered over REST, pulling its tasks over HTTP) shows with the hosted ones.
    const remote = await stack.request('POST', '/api/orchestrator/agents', {
      id: 'cli-remote-translator',
      name: 'translator',
      type: 'translator',
      capabilities: ['cli_translation'],
      kind: 'specialised',
      permission: 'limited',
      customCapabilities: [{ name: 'cli_translation', description: 'Translate text', category: 'communication' }],
    });
    expect(remote.status).toBe(201);
    const table = await cli(['agents', 'list']);
    expect(table.stdout).toMatch(/^AGENT\s+TYPE\s+STATUS\s+WHERE\s+LAST HEARTBEAT\s+CAPABILITIES$/m);
    expect(table.stdout).toMatch(/^cli-remote-translator\s+translator\s+active\s+remote\s+\S+\s+cli_translation$/m);
    expect(table.stdout).toMatch(/^researcher@\S+\s+researcher\s+active\s+\S+:\d+\s/m);
    const templates = await cli(['templates', 'list']);
    expect(templates.stdout).toMatch(/^TEMPLATE\s+DESCRIPTION$/m);
    expect(templates.stdout).toContain('research-report');
  });

  it('follows the log of a running session with logs --follow, to its end', async () => {
    const { sessionId } = JSON.parse((await cli(['run', '--plan', file('followed.json', plan(['f1', 'f2', 'f3', 'f4', 'f5', 'f6'])), '--json'])).stdout);
    const startedAt = Date.now();
    const followed = await cli(['logs', sessionId, '--follow', '--level', 'info']);
    expect([followed.code, followed.stderr]).toEqual([0, '']);
    const lines = followed.stdout.trim().split('\n');
    expect(lines.every((line) => /^\S+ {2}(info|warn|error|critical) /.test(line))).toBe(true);
    // It ran while the session did and ended with it: the last task's entries are there.
    expect(lines.some((line) => line.includes('[f6] '))).toBe(true);
    const session = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body;
    expect(session.status).toBe('completed');
    expect(Date.parse(session.finishedAt)).toBeGreaterThan(startedAt);
  });

  it('exits 2 with one line that names the culprit and says what to do', async () => {
    const invalid = await cli(['run', '--plan', file('bad.json', { tasks: [{ id: 'a', capabilities: ['no_such_capability'] }] })]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /^switchyard: the API refused it \(400 [^)]+\): plan\.tasks\[0\][^\n]*no_such_capability[^\n]*; fix what it names and try again\n$/,
    );
    const noKey = await cli(['templates', 'list'], { SWITCHYARD_API_KEY: '' });
    expect([noKey.code, noKey.stdout]).toEqual([2, '']);
    expect(noKey.stderr).toMatch(/^switchyard: the API refused it \(401 [^\n]*set SWITCHYARD_API_KEY[^\n]*\n$/);
    const down = await cli(['agents', 'list'], { SWITCHYARD_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^switchyard: cannot reach http:\/\/127\.0\.0\.1:9\/api\/orchestrator\/agents: [^\n]*Set SWITCHYARD_URL[^\n]*\n$/);
    const missing = await cli(['sessions', 'show', '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/^switchyard: the API refused it \(404 .*sessions list.*\n$/)]);
    for (const args of [
      ['run', '--goal', 'x', '--plan', 'p.json'],
      ['run', '--goal', 'x', '--budget-tokens', '-5'],
      ['run', '--goal', 'x', '--budget-tasks', '2.5'],
      ['run', '--goal', 'x', '--budget-cost-usd', 'a lot'],
      ['sessions', 'fork', 'x'],
      ['nonsense'],
      ['resolve', 'a', 'b', 'dance'],
    ]) {
      const refused = await cli(args);
      expect([args, refused.code, refused.stdout, refused.stderr.split('\n').length]).toEqual([args, 2, '', 2]);
    }
  });

  // GET /api/orchestrator/sessions comes with branch `ui`. Until it is merged no controller
  // declares it, and this test is skipped; once one does, it runs.
  const listRouteDeclared = readdirSync(join(ROOT, 'apps/api/src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.controller.ts'))
    .some((name) => /@Get\('sessions'\)/.test(readFileSync(join(ROOT, 'apps/api/src', name), 'utf8')));
  (listRouteDeclared ? it : it.skip)('lists sessions, newest first, filtered by status (GET /api/orchestrator/sessions)', async () => {
    const finished = JSON.parse((await cli(['run', '--plan', file('listed.json', plan(['z'])), '--wait', '--json'])).stdout);
    const listed = JSON.parse((await cli(['sessions', 'list', '--status', 'completed', '--limit', '5', '--json'])).stdout);
    expect(listed.sessions[0]).toMatchObject({ sessionId: finished.sessionId, status: 'completed' });
    const table = await cli(['sessions', 'list']);
    expect(table.stdout).toMatch(/^SESSION\s+STATUS\s+TASKS\s+CREATED\s+GOAL$/m);
  });
});
