import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The folders of libs/orchestration/src form floors: a folder may import a lower one, never one
 * that imports it back (directly). Shared types sit on the lower floor. The module files at the
 * root (which wire every folder) and unit specs are left out.
 */

const SRC = __dirname;

function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts') && name.includes(sep))
    .map((name) => join(SRC, name));
}

/** The folder (first segment under src) that `file` belongs to, or undefined for the root's files. */
function folderOf(file: string): string | undefined {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : undefined;
}

/** Every folder → the other folders its files import (relative imports, `import type` included). */
function folderImports(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sources()) {
    const from = folderOf(file)!;
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)) {
      const to = folderOf(resolve(dirname(file), spec));
      if (to === undefined || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

describe('the folders of libs/orchestration/src', () => {
  it('do not import each other', () => {
    const edges = folderImports();
    const pairs = [...edges].flatMap(([a, tos]) => [...tos].filter((b) => a < b && edges.get(b)?.has(a)).map((b) => `${a} <-> ${b}`)).sort();
    expect(pairs).toEqual([]);
  });

  it('keep the engine and the dependency resolver apart from what sits above them', () => {
    const edges = folderImports();
    // dag/ is the lowest of the engine's floors: it needs nothing but the Redis keys.
    expect([...(edges.get('dag') ?? [])].sort()).toEqual(['redis']);
  });
});
