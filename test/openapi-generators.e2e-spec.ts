import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from './support/stack';

const ROOT = join(__dirname, '..');

interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema?: { enum?: string[] } }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string; examples?: unknown[]; example?: unknown } }> };
}

/** Runs a program to its end, bounded; answers its exit code and output. */
function run(file: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * One typed call of a route with openapi-fetch: its path parameters, its required query
 * parameters, and the first example of its body (the OpenAPI document gives one for every body).
 */
function callOf(path: string, method: string, operation: Operation, schemas: Record<string, { examples?: unknown[]; example?: unknown }>): string {
  const params = operation.parameters ?? [];
  const inPath = params
    .filter((p) => p.in === 'path')
    .map((p) => `${p.name}: ${JSON.stringify(p.name === 'id' && path.includes('/agents/') ? 'coder@host:1' : 'x')}`);
  const inQuery = params.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}: ${JSON.stringify(p.schema?.enum?.[0] ?? 'x')}`);
  const init: string[] = [];
  if (inPath.length || inQuery.length) {
    init.push(`params: { ${inPath.length ? `path: { ${inPath.join(', ')} }, ` : ''}${inQuery.length ? `query: { ${inQuery.join(', ')} }` : ''} }`);
  }
  const json = operation.requestBody?.content['application/json'];
  if (json) {
    const schema = json.schema.$ref ? schemas[json.schema.$ref.split('/').pop()!] : json.schema;
    const example = schema.examples?.[0] ?? schema.example;
    if (example === undefined) throw new Error(`${method} ${path}: its body has no example to send`);
    init.push(`body: ${JSON.stringify(example)}`);
  }
  return `  results.push(await client.${method.toUpperCase()}(${JSON.stringify(path)}${init.length ? `, { ${init.join(', ')} }` : ''}));`;
}

describe('the OpenAPI document with generators', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
    dir = mkdtempSync(join(tmpdir(), 'switchyard-openapi-'));
    // The generated code imports openapi-fetch as a third party's project would.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('documents any JSON as one named schema, JsonValue, and no numbered copies', async () => {
    const document = (await stack.request('GET', '/docs-json')).body;
    const names = Object.keys(document.components.schemas);
    expect(names).toContain('JsonValue');
    expect(names.filter((name) => /__schema\d+$/.test(name))).toEqual([]);
    const task = document.components.schemas.Task;
    expect(task.properties.input).toEqual({ $ref: '#/components/schemas/JsonValue' });
  });

  it("documents nullable fields in OpenAPI 3.0's words, a DTO's own string-or-null field as a string", async () => {
    const document = (await stack.request('GET', '/docs-json')).body;
    expect(document.openapi).toMatch(/^3\.0\./);
    const listTypes: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      if (Array.isArray((node as { type?: unknown }).type)) listTypes.push(path);
      for (const [key, value] of Object.entries(node)) walk(value, `${path}/${key}`);
    };
    walk(document.components.schemas, '#/components/schemas');
    expect(listTypes).toEqual([]);
    const { LogPageDto, LogStatsDto, AgentDto } = document.components.schemas;
    for (const field of [LogPageDto.properties.nextCursor, LogStatsDto.properties.firstAt, AgentDto.properties.lastHeartbeat]) {
      expect(field).toMatchObject({ type: 'string', nullable: true });
    }
  });

  it('gives openapi-typescript + openapi-fetch types under which a call of every route passes tsc --strict', async () => {
    const document = (await stack.request('GET', '/docs-json')).body;
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    const generated = await run(process.execPath, [join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), 'openapi.json', '-o', 'api.ts'], dir, 60_000);
    expect([generated.code, generated.output]).toEqual([0, expect.any(String)]);

    const calls = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => callOf(path, method, operation, document.components.schemas)),
    );
    expect(calls.length).toBeGreaterThan(20);
    writeFileSync(
      join(dir, 'calls.ts'),
      [
        `import createClient from 'openapi-fetch';`,
        `import type { paths } from './api';`,
        `const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000' });`,
        `export async function everyRoute(): Promise<unknown[]> {`,
        `  const results: unknown[] = [];`,
        ...calls,
        `  return results;`,
        `}`,
        // The call of the issue, word for word, and what its answer is typed as.
        `export async function theIssuesCall(): Promise<string | undefined> {`,
        `  const { data } = await client.POST('/api/orchestrator/orchestrate', { body: { plan: { tasks: [{ id: 'fetch', capabilities: ['web_research'] }] } } });`,
        `  return data?.sessionId;`,
        `}`,
        // The types are not so loose that anything goes: each line below must be refused.
        `export async function refused(): Promise<void> {`,
        `  // @ts-expect-error capabilities is a list`,
        `  await client.POST('/api/orchestrator/orchestrate', { body: { plan: { tasks: [{ id: 'fetch', capabilities: 'web_research' }] } } });`,
        `  const { data } = await client.GET('/api/orchestrator/sessions/{id}', { params: { path: { id: 'x' } } });`,
        `  // @ts-expect-error a session's status is a string`,
        `  const status: number | undefined = data?.status;`,
        `  void status;`,
        `  // @ts-expect-error no such route`,
        `  await client.GET('/api/orchestrator/nowhere');`,
        `}`,
        '',
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = ['--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'calls.ts'];
    const checked = await run(process.execPath, [tsc, ...args], dir, 90_000);
    expect([checked.code, checked.output]).toEqual([0, '']);
  });
});
