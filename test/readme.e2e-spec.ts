import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_API_KEYS_ENV } from './support/api-keys';
import { abridgedPattern, shellExamples, ShellExample, shownAnswer } from './support/readme-examples';
import { Stack } from './support/stack';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const API = '/api/orchestrator';

/**
 * The README's shell commands that are not requests and that this test does not run, each with
 * why. Every command of a ```bash block is a `curl` request (run against the stack), an
 * `npm run apikey` (run), an `export` of what one printed (done: the stack and the requests get
 * it), or listed here; a command that is none of these fails the test, and so does an entry here
 * that the README no longer has.
 */
const NOT_RUN: Record<string, string> = {
  'npm ci && npm run demo':
    'npm ci reinstalls node_modules, which every worktree and process of this machine shares, and the demo rebuilds dist/ under the running stack',
  'npm test': 'the whole suite, this test included',
  'SWITCHYARD_MODEL_PROVIDER=openai SWITCHYARD_OPENAI_BASE_URL=http://127.0.0.1:11434/v1 SWITCHYARD_MODEL=llama3.1 npm run start:worker':
    'needs an Ollama server, and a worker runs until it is stopped',
  'SWITCHYARD_MODEL_PROVIDER=openai SWITCHYARD_OPENAI_API_KEY=sk-… SWITCHYARD_MODEL=gpt-4o-mini npm run start:worker': 'needs an OpenAI key and the network',
  'docker compose up --build --scale worker=3': 'no Docker engine on the machines that run the tests',
  'docker compose --profile cluster up --build --scale worker-cluster=2 api-cluster worker-cluster':
    'no Docker engine on the machines that run the tests (test/cluster.e2e-spec.ts runs the apps on a cluster of its own)',
  'npm run pack': 'test/packages.e2e-spec.ts runs it',
  'npm install ../switchyard/.tmp/packages/switchyard-agents-0.1.0.tgz':
    'test/packages.e2e-spec.ts installs the tarball it packed into a project of its own in the temp directory, offline',
  'npm install --save-dev typescript@~5.9 @types/node@^20.19': 'test/packages.e2e-spec.ts installs them in its project, offline',
  'npx tsc && node dist/main.js': 'test/packages.e2e-spec.ts compiles its project and starts the worker against its stack',
};

/** What `npm run apikey` printed: the key and its `SWITCHYARD_API_KEYS` entry. */
interface MadeKey {
  key: string;
  entry: string;
}

/** Runs one shell command through bash in `cwd`, bounded; answers its output, whatever its exit code. */
function bash(script: string, env: Record<string, string>, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

const where = (example: ShellExample) => `README.md:${example.line} ${example.command.split('\n')[0].slice(0, 110)}`;

describe('the README runs as written', () => {
  const examples = shellExamples(README);
  const madeKeys: MadeKey[] = [];
  /** The shell variables the README's `export NAME=sy_…` lines set, with the keys made before them. */
  const shellKeys: Record<string, string> = {};
  const problems: string[] = [];
  let stack: Stack;
  let cwd: string;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));
    // The keys first, as a reader makes them: every entry printed goes to the API, every
    // `export KEY=sy_…` takes the key of the apikey command of its rank (the first export the first key).
    let exportedKeys = 0;
    for (const example of examples) {
      if (example.command.startsWith('npm run apikey ')) {
        const run = await bash(example.command, {}, ROOT);
        const key = /^\s*(sy_\S+)$/m.exec(run.stdout)?.[1];
        const entry = /^\s*(\S+:(?:admin|operator|viewer):\S+:[0-9a-f]{64})$/m.exec(run.stdout)?.[1];
        if (run.code !== 0 || !key || !entry) throw new Error(`${where(example)} exited ${run.code} without a key and an entry:\n${run.stdout}${run.stderr}`);
        madeKeys.push({ key, entry });
        // The output it shows, line by line (… stands for what differs each time), in this order.
        const printed = run.stdout.split('\n').map((line) => line.trimEnd());
        let from = 0;
        for (const note of example.notes) {
          const at = printed.findIndex((line, i) => i >= from && abridgedPattern(note.trimEnd()).test(line));
          if (at < 0) problems.push(`${where(example)}: its output has no line like "${note}" (printed:\n${run.stdout})`);
          else from = at + 1;
        }
      }
      // `export SWITCHYARD_API_KEY=$KEY`: the CLI's key is one exported before.
      const aliased = /^export (SWITCHYARD_API_KEY)=\$(\w+)$/.exec(example.command);
      if (aliased) {
        if (shellKeys[aliased[2]]) shellKeys[aliased[1]] = shellKeys[aliased[2]];
        else problems.push(`${where(example)}: no key was exported as ${aliased[2]} before it`);
        continue;
      }
      const exported = /^export (\w+)=(?:'([^']*)'|(\S+))$/.exec(example.command);
      if (exported && exported[1] === 'SWITCHYARD_API_KEYS') {
        for (const shown of exported[2].split(',')) {
          if (!madeKeys.some(({ entry }) => abridgedPattern(shown).test(entry)))
            problems.push(`${where(example)}: no apikey command before it printed an entry like ${shown}`);
        }
      } else if (exported && (exported[3] ?? '').startsWith('sy_')) {
        const made = madeKeys[exportedKeys];
        exportedKeys += 1;
        if (!made) problems.push(`${where(example)}: no apikey command before it made a key for it`);
        else if (!abridgedPattern(exported[3]).test(made.key))
          problems.push(`${where(example)}: ${exported[3]} is not the shape of the key made (${made.key})`);
        else shellKeys[exported[1]] = made.key;
      }
    }
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_API_KEYS: [TEST_API_KEYS_ENV, ...madeKeys.map((k) => k.entry)].join(',') } });
  });

  afterAll(async () => {
    await stack?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('lists every command it does not run, and the README still has each one it lists', () => {
    const commands = examples.map((e) => e.command);
    const unhandled = examples.filter(
      (e) =>
        !e.command.startsWith('curl ') &&
        !e.command.startsWith('npx switchyard ') &&
        !e.command.startsWith('npm run apikey ') &&
        !/^export \w+=/.test(e.command) &&
        !(e.command in NOT_RUN),
    );
    expect(unhandled.map(where)).toEqual([]);
    expect(Object.keys(NOT_RUN).filter((command) => !commands.includes(command))).toEqual([]);
    // Only exports of what the apikey commands printed are done by the test itself.
    const otherExports = examples.filter(
      (e) => /^export \w+=/.test(e.command) && !/^export (SWITCHYARD_API_KEYS='[^']*'|\w+=sy_\S+|SWITCHYARD_API_KEY=\$\w+)$/.test(e.command),
    );
    expect(otherExports.map(where)).toEqual([]);
  });

  it('makes its API keys with npm run apikey as shown', () => {
    expect(madeKeys.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('answers every curl example with the status it shows (else a 2xx), the fields it shows, on a real stack', async () => {
    const port = new URL(stack.baseUrl).port;
    const admin = (path: string, method = 'GET', body?: unknown) => stack.request(method, `${API}${path}`, body);
    // A finished session for the examples that read one; its events stream ends with it.
    const finished = await admin('/orchestrate', 'POST', {
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
          { id: 'review', capabilities: ['code_review'], dependsOn: ['research'] },
        ],
      },
    });
    expect(finished.status).toBe(202);
    await stack.waitForSession(finished.body.sessionId, (s) => s.status === 'completed');
    // A session paused on its approval task `review`, fresh for each example that changes one.
    const pausedSession = async () => {
      const accepted = await admin('/orchestrate', 'POST', { plan: { tasks: [{ id: 'review', kind: 'approval', capabilities: ['code_review'] }] } });
      expect(accepted.status).toBe(202);
      await stack.waitForSession(accepted.body.sessionId, (s) => s.status === 'paused');
      return accepted.body.sessionId as string;
    };
    // A session whose task `approval` waits for the signal `approved`, for the signal examples.
    const signalSession = async () => {
      const accepted = await admin('/orchestrate', 'POST', { plan: { tasks: [{ id: 'approval', kind: 'signal', signal: 'approved' }] } });
      expect(accepted.status).toBe(202);
      await stack.waitForSession(accepted.body.sessionId, (s) => typeof s.tasks[0].waitingFor === 'object');
      return accepted.body.sessionId as string;
    };
    const coder = (await admin('/agents?type=coder')).body[0]?.id as string;
    expect(coder).toMatch(/^coder@/);

    const requests = examples.filter((e) => e.command.startsWith('curl '));
    expect(requests.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const example of requests) {
      const changesSession = /-X(DELETE|PATCH) \S*\/sessions\/|\/resolve\b/.test(example.command);
      const sessionFor = async () => (/\/signals\//.test(example.command) ? signalSession() : changesSession ? pausedSession() : finished.body.sessionId);
      const sessionId = example.command.includes('0-9b2f0c4e-…') ? await sessionFor() : undefined;
      const command = example.command
        .replaceAll('localhost:3000', `localhost:${port}`)
        .replaceAll('0-9b2f0c4e-…', sessionId ?? '')
        .replaceAll('5f1c3b9e-…', randomUUID())
        .replaceAll('coder@host:4242', coder);
      if (command.includes('…')) {
        failures.push(`${where(example)}: a placeholder this test does not know how to fill`);
        continue;
      }
      // curl as the reader runs it, its response headers kept aside for the status.
      const headers = join(cwd, 'headers');
      rmSync(headers, { force: true });
      const run = await bash(`curl() { command curl --max-time 30 -D "$SY_HEADERS" "$@"; }\n${command}`, { ...shellKeys, SY_HEADERS: headers }, cwd);
      const statusLines = (() => {
        try {
          return readFileSync(headers, 'utf8').match(/^HTTP\/[\d.]+ (\d{3})/gm) ?? [];
        } catch {
          return [];
        }
      })();
      const status = Number(statusLines.at(-1)?.split(' ')[1] ?? 0);
      const shown = shownAnswer(example.notes);
      const said = `answered ${status}${run.code !== 0 ? ` (curl exited ${run.code})` : ''}: ${run.stdout.slice(0, 300)}`;
      if (shown?.status !== undefined ? status !== shown.status : !(status >= 200 && status < 300)) {
        failures.push(`${where(example)}: expected ${shown?.status ?? '2xx'}, ${said}`);
        continue;
      }
      if (shown && shown.fields.length > 0) {
        let body: Record<string, unknown> | undefined;
        try {
          body = JSON.parse(run.stdout);
        } catch {
          body = undefined;
        }
        const missing = shown.fields.filter((f) => !body || !(f.name in body) || ('value' in f && body[f.name] !== f.value));
        if (missing.length > 0)
          failures.push(
            `${where(example)}: the answer lacks ${missing.map((f) => ('value' in f ? `${f.name}=${JSON.stringify(f.value)}` : f.name)).join(', ')}; ${said}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it('runs its CLI examples on the stack, with the exit code (else 0) and the lines they show', async () => {
    const accepted = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks: [{ id: 'research', capabilities: ['web_research'] }] } });
    await stack.waitForSession(accepted.body.sessionId);
    const commands = examples.filter((e) => e.command.startsWith('npx switchyard '));
    expect(commands.length).toBeGreaterThan(3);
    expect(shellKeys.SWITCHYARD_API_KEY).toBeDefined();
    const failures: string[] = [];
    for (const example of commands) {
      const command = example.command.replaceAll('0-9b2f0c4e-…', accepted.body.sessionId);
      // In the checkout, as the README says: npx finds the package's own bin there.
      const run = await bash(command, { ...shellKeys, SWITCHYARD_URL: stack.baseUrl }, ROOT);
      const shownExit = Number(/^→ exit (\d)$/.exec(example.notes.find((n) => n.startsWith('→')) ?? '')?.[1] ?? 0);
      if (run.code !== shownExit) failures.push(`${where(example)}: exited ${run.code}, not ${shownExit}: ${run.stderr.slice(0, 300)}`);
      const printed = `${run.stdout}${run.stderr}`.split('\n');
      for (const note of example.notes.filter((n) => !n.startsWith('→'))) {
        if (!printed.some((line) => abridgedPattern(note).test(line))) failures.push(`${where(example)}: printed no line like "${note}"`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('accepts the plans it shows as JSON, and refuses an unknown capability with the problem it shows', async () => {
    const blocks = [...README.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => JSON.parse(m[1]));
    const plans = blocks.filter((b) => 'plan' in b);
    const problems = blocks.filter((b) => 'type' in b && 'status' in b);
    expect(plans.length).toBeGreaterThan(0);
    expect(problems.length).toBeGreaterThan(0);
    for (const plan of plans) expect((await stack.request('POST', `${API}/orchestrate`, plan)).status).toBe(202);
    for (const problem of problems) {
      // The plan it is about: a second task asking for the capability its detail names.
      const capability = /unknown capability "(\w+)"/.exec(problem.detail)![1];
      const answer = await stack.request('POST', `${API}/orchestrate`, {
        plan: {
          tasks: [
            { id: 'first', capabilities: ['web_research'] },
            { id: 'second', capabilities: [capability] },
          ],
        },
      });
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject(problem);
    }
  });

  it('says what examples/custom-agent takes: each of its files, its main.ts as it is and its nest-cli.json project', () => {
    const section = README.slice(README.indexOf('## Writing an agent'), README.indexOf('### Session state'));
    const folder = join(ROOT, 'examples', 'custom-agent');
    const files = readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(folder.length + 1));
    expect(files.filter((file) => !section.includes(file))).toEqual([]);
    // Its source files, as the README shows them, are pinned with the app they make by custom-agent.e2e-spec.ts.
    for (const file of ['main.ts', 'summariser.agent.ts'])
      expect(section).toContain(`\`\`\`ts\n// src/${file}\n${readFileSync(join(folder, 'src', file), 'utf8')}\`\`\``);
    const project = /`([\w-]+)` project in `nest-cli.json`/.exec(section)?.[1];
    const nestCli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8'));
    expect(nestCli.projects[project ?? '']?.root).toBe('examples/custom-agent');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.build).toContain(`nest build ${project}`);
    expect(section).toContain('`dist/examples/custom-agent/main.js`');
    expect(existsSync(join(ROOT, 'dist', 'examples', 'custom-agent', 'main.js'))).toBe(true);
  });

  it('names only routes that exist where it gives a full path in its text', async () => {
    // `/api/...`, `/health...`, `/metrics`, `/docs...` in backquotes, GET or without a method, and without parameters.
    const paths = [...new Set([...README.matchAll(/`(?:GET )?(\/(?:api|health|metrics|docs)[^`\s]*)`/g)].map((m) => m[1]).filter((p) => !/[:<…{]/.test(p)))];
    expect(paths.length).toBeGreaterThan(3);
    const missing: string[] = [];
    // A worker's probes are the worker's routes (on SWITCHYARD_WORKER_HEALTH_PORT), not the API's.
    const workerProbes = ['/health/live', '/health/ready'];
    const workerBase = `http://127.0.0.1:${await stack.workers[0].healthPort()}`;
    for (const path of paths) {
      const answer = await fetch(`${workerProbes.includes(path) ? workerBase : stack.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${madeKeys[0].key}` },
        signal: AbortSignal.timeout(10_000),
      });
      await answer.arrayBuffer();
      if (answer.status === 404) missing.push(path);
    }
    expect(missing).toEqual([]);
  });
});
