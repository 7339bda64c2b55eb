import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AppProcess } from './support/app-process';
import { TEST_KEYS } from './support/api-keys';
import { PackedPackage, readPacked, writeProjectManifests } from './support/package-project';
import { Stack } from './support/stack';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Runs a command to its end, bounded; fails with its output if it exits other than 0. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed (${error.message}):\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The README's files of the custom-agent project: every ```ts or ```jsonc block that starts with `// <path>`. */
function readmeProjectFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [, path, code] of README.matchAll(/```(?:ts|jsonc)\n\/\/ ((?:src\/[\w.-]+\.ts)|tsconfig\.json)\n([\s\S]*?)```/g)) files.set(path, code);
  return files;
}

/**
 * The project's client program, beside the README's worker: it submits the plan through the packed
 * `@switchyard/client`, waits for the session over its event stream, and prints the session as JSON.
 */
const SUBMIT_TS = `import { SwitchyardClient } from '@switchyard/client';

async function main(): Promise<void> {
  const client = new SwitchyardClient({ baseUrl: process.env.SWITCHYARD_URL, apiKey: process.env.SWITCHYARD_API_KEY });
  const { sessionId } = await client.orchestrate({
    plan: {
      tasks: [
        { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
        { id: 'summary', capabilities: ['summarise'], dependsOn: ['research'] },
      ],
    },
  });
  const session = await client.sessions.wait(sessionId, { signal: AbortSignal.timeout(60_000) });
  console.log(JSON.stringify(session));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

/**
 * `@switchyard/agents` and `@switchyard/client` as a stranger gets them: packed by `npm run pack`, installed into a new project
 * outside this repository, with the README's custom agent and worker compiled there by the
 * project's own TypeScript against the package's types, run against a real API on Redis.
 */
describe('the @switchyard/agents and @switchyard/client packages, installed in a project of their own', () => {
  let project: string;
  let packed: PackedPackage;
  let packedClient: PackedPackage;
  let stack: Stack | undefined;
  let worker: AppProcess;

  beforeAll(async () => {
    const printed = await run(process.execPath, [join(ROOT, 'scripts', 'pack.mjs'), '@switchyard/agents', '@switchyard/client'], ROOT, 240_000);
    packed = readPacked(join(ROOT, /^@switchyard\/agents: (\S+\.tgz)/m.exec(printed)![1]));
    packedClient = readPacked(join(ROOT, /^@switchyard\/client: (\S+\.tgz)/m.exec(printed)![1]));
    project = mkdtempSync(join(tmpdir(), 'switchyard-package-'));
    writeProjectManifests(project, 'my-agent', [packed, packedClient], ['typescript', '@types/node'], { build: 'tsc' });
    for (const [path, code] of [...readmeProjectFiles(), ['src/submit.ts', SUBMIT_TS]]) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), code);
    }
    // Every package from the npm cache, where this repository's install left it: no registry.
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, 180_000);
    await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project, 180_000);
    stack = await Stack.start({ workers: 0 });
    worker = await stack.addWorker({}, 'worker', join(project, 'dist', 'main.js'));
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('is the tarball and the project the README shows', () => {
    expect(README).toContain(`.tmp/packages/${basename(packed.tarball)}`);
    const files = readmeProjectFiles();
    expect([...files.keys()].sort()).toEqual(['src/main.ts', 'src/summariser.agent.ts', 'tsconfig.json']);
    expect(files.get('src/summariser.agent.ts')!.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    expect(files.get('src/main.ts')!.trimEnd().split('\n').length).toBeLessThanOrEqual(10);
    expect(files.get('tsconfig.json')).toContain('"strict": true');
    expect(files.get('tsconfig.json')).not.toContain('skipLibCheck');
  });

  it('carries the engine bundled, its types, and npm packages as dependencies', () => {
    const installed = join(project, 'node_modules', '@switchyard', 'agents');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(existsSync(join(installed, manifest.main))).toBe(true);
    expect(readFileSync(join(installed, manifest.types), 'utf8')).toMatch(/startWorker/);
    expect(readFileSync(join(installed, 'README.md'), 'utf8')).toContain(readmeProjectFiles().get('src/main.ts'));
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['@nestjs/core', 'bullmq', 'ioredis', 'redlock']));
    expect(Object.keys(manifest.dependencies).filter((d) => d.startsWith('@switchyard/'))).toEqual([]);
    // No repository source is needed at run time: the worker resolves nothing outside its project.
    expect(existsSync(join(project, 'node_modules', '@switchyard', 'orchestration'))).toBe(false);
  });

  it('carries the client alone: bundled, typed, and with no dependency at all', () => {
    expect(README).toContain(`.tmp/packages/${basename(packedClient.tarball)}`);
    const installed = join(project, 'node_modules', '@switchyard', 'client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(existsSync(join(installed, manifest.main))).toBe(true);
    expect(readFileSync(join(installed, manifest.types), 'utf8')).toMatch(/SwitchyardClient/);
    expect(manifest.dependencies).toEqual({});
    // Its README is the client's part of the repository's: the CLI is not in this package.
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    expect(readme).toContain('client.sessions.events(sessionId)');
    expect(readme).not.toContain('npx switchyard');
    // Nothing of the server side: no Nest, BullMQ, ioredis or Redlock inside the bundle either.
    expect(readFileSync(join(installed, manifest.main), 'utf8')).not.toMatch(/require\("(@nestjs\/|bullmq|ioredis|redlock)/);
  });

  it("submits a plan through the packed client, and the project's agent does its custom task", async () => {
    const printed = await run(process.execPath, [join(project, 'dist', 'submit.js')], project, 90_000, {
      SWITCHYARD_URL: stack!.baseUrl,
      SWITCHYARD_API_KEY: TEST_KEYS.admin.key,
    });
    const session = JSON.parse(printed);
    expect(session.status).toBe('completed');
    const summary = session.tasks.find((t: any) => t.id === 'summary');
    expect(summary.agentId).toMatch(/^summariser@/);
    expect(summary.worker.pid).toBe(worker.pid);
    expect(summary.output.summary).toMatch(/^research: /);
  });

  it("routes a task of the custom capability to the project's agent", async () => {
    const accepted = await stack!.request('POST', '/api/orchestrator/orchestrate', {
      plan: {
        tasks: [
          { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
          { id: 'summary', capabilities: ['summarise'], dependsOn: ['research'] },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    const session = await stack!.waitForSession(accepted.body.sessionId);
    expect(session.status).toBe('completed');
    const research = session.tasks.find((t: any) => t.id === 'research');
    const summary = session.tasks.find((t: any) => t.id === 'summary');
    expect(summary.agentId).toMatch(/^summariser@/);
    expect(summary.worker.pid).toBe(worker.pid);
    // The headline is the model's answer to the agent's context.ask (the offline model's here).
    expect(summary.output).toEqual({ summary: `research: ${JSON.stringify(research.output)}`, headline: expect.stringContaining('switchyard-offline-1') });
    expect(worker.lines.some((l) => l.includes('"msg":"summarising"') && l.includes('"sources":1'))).toBe(true);
  });
});
