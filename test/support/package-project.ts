import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** One entry of a package-lock.json's `packages`. */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}

/** A tarball made by `npm run pack`, and the manifest inside it. */
export interface PackedPackage {
  tarball: string;
  manifest: { name: string; version: string; dependencies?: Record<string, string>; [field: string]: unknown };
}

export function readPacked(tarball: string): PackedPackage {
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as PackedPackage['manifest'];
  return { tarball, manifest };
}

/**
 * Where Node (and npm's lockfile) finds `name` from the package at `from` (a lockfile path such
 * as `node_modules/a/node_modules/b`, or '' for the root): its own node_modules, then each
 * enclosing one.
 */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** The names a package needs installed: its dependencies, optional ones and required peers. */
function needs(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((p) => !entry.peerDependenciesMeta?.[p]?.optional);
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

/**
 * A package.json and a package-lock.json for a project in `dir` that depends on the packed
 * tarballs and on `devDependencies`, everything else at the versions this repository's lockfile
 * installed. So `npm ci --offline` installs it from the npm cache alone (the repository's own
 * install put every tarball there), as fast as a copy, and on exactly what the repository tests.
 */
export function writeProjectManifests(
  dir: string,
  name: string,
  packed: readonly PackedPackage[],
  devDependencies: readonly string[],
  scripts: Record<string, string>,
): void {
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const repoPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const dependencies = Object.fromEntries(packed.map((p) => [p.manifest.name, `file:${relative(dir, p.tarball)}`]));
  const dev = Object.fromEntries(devDependencies.map((d) => [d, repoPackage.devDependencies[d]]));
  const packages: Record<string, LockEntry> = { '': { name, dependencies, devDependencies: dev } };
  const queue: { path: string; entry: LockEntry }[] = [];
  for (const { tarball, manifest } of packed) {
    const entry: LockEntry = {
      version: manifest.version,
      resolved: `file:${relative(dir, tarball)}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dependencies: manifest.dependencies,
    };
    packages[`node_modules/${manifest.name}`] = entry;
    queue.push({ path: `node_modules/${manifest.name}`, entry });
  }
  queue.push({ path: '', entry: { dependencies: dev } });
  while (queue.length > 0) {
    const { path, entry } = queue.shift()!;
    for (const need of needs(entry)) {
      // A packed package's dependencies sit at the top, where the repository has them.
      const found = locate(repoLock.packages, path.startsWith('node_modules/@switchyard/') ? '' : path, need);
      if (!found) {
        if (entry.optionalDependencies?.[need]) continue;
        throw new Error(`${path || 'the project'} needs ${need}, which this repository's package-lock.json does not install`);
      }
      if (packages[found]) continue;
      const { dev: _dev, devOptional: _devOptional, ...copy } = repoLock.packages[found];
      packages[found] = copy;
      queue.push({ path: found, entry: copy });
    }
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, scripts, dependencies, devDependencies: dev }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }, null, 2));
}
