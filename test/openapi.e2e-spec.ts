import { Stack } from './support/stack';

interface Operation {
  responses: Record<string, { content?: Record<string, unknown> }>;
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
}

describe('the OpenAPI document', () => {
  let stack: Stack;
  let document: { paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    stack = await Stack.start({ workers: 0 });
    document = (await stack.request('GET', '/docs-json')).body;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
    );

  it('lists exactly the routes the API serves', async () => {
    // Nest logs every route it maps as the app starts: that is what the process really serves.
    const served = stack.api.lines
      .map((line) => /Mapped \{([^,]+), (\w+)\} route/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, path, method]) => `${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(5);
    expect(
      operations()
        .map((o) => o.route)
        .sort(),
    ).toEqual([...new Set(served)].sort());
  });

  it('gives an example of every JSON body a route takes or answers with (health reports come from terminus)', () => {
    const schemas = (document as any).components.schemas as Record<string, any>;
    const exemplified = (schema: any, depth = 0): boolean => {
      if (!schema || depth > 3) return false;
      if (schema.examples || schema.example) return true;
      if (schema.$ref) return exemplified(schemas[schema.$ref.split('/').pop()], depth + 1);
      return schema.type === 'array' && exemplified(schema.items, depth + 1);
    };
    const without: string[] = [];
    for (const { route, operation } of operations()) {
      if (route.includes('/health')) continue;
      const bodies = [
        ...Object.entries(operation.responses)
          .filter(([status]) => status.startsWith('2'))
          .map(([status, r]) => [status, (r.content ?? {})['application/json']] as const),
        ['request body', ((operation.requestBody as any)?.content ?? {})['application/json']] as const,
      ];
      for (const [what, content] of bodies) if (content && !exemplified((content as any).schema)) without.push(`${route} ${what}`);
    }
    expect(without).toEqual([]);
  });

  it('documents a success and every error each route can give, as problem+json', () => {
    for (const { route, operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      const context = `${route} documents ${statuses.join(', ')}`;
      expect([context, statuses.some((s) => s.startsWith('2'))]).toEqual([context, true]);
      if (operation.requestBody) expect([context, statuses.includes('400') && statuses.includes('413')]).toEqual([context, true]);
      if (operation.parameters?.some((p) => p.in === 'path')) expect([context, statuses.includes('400') && statuses.includes('404')]).toEqual([context, true]);
      if (!route.includes('/health')) expect([context, statuses.includes('429')]).toEqual([context, true]);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) expect([route, status, Object.keys(response.content ?? {})]).toEqual([route, status, ['application/problem+json']]);
      }
    }
  });
});
