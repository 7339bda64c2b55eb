#!/usr/bin/env node
// Builds the npm packages of this repository (@switchyard/agents, @switchyard/client) and packs them (`npm pack`) into .tmp/packages/.
// Usage: npm run pack [-- <package name> ...]   (default: every package in PACKAGES)
//
// Each package is one esbuild bundle of a library's public index, with the libraries it imports
// through `@switchyard/*` paths inlined (so `@switchyard/agents` carries the orchestration engine)
// and every npm package it imports left as a dependency, at the version the root package.json
// pins. esbuild compiles no decorator metadata, which Nest's injection needs, so the TypeScript
// goes through swc first (with the options jest.config.js uses). Types are tsc's declarations of
// the same files, their `@switchyard/*` imports rewritten to relative paths.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { transform } from '@swc/core';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.tmp', 'packages');

/** The packages: one more is one more entry. `entry` is the library's public index. */
const PACKAGES = [
  {
    name: '@switchyard/agents',
    description: 'Switchyard agent SDK: write agents (@Agent, defineAgent) and run them in a worker process (startWorker)',
    entry: 'libs/agents/src/index.ts',
    // The package's README: this section of the repository's README.
    readmeSection: 'Writing an agent',
  },
  {
    name: '@switchyard/client',
    description: 'Switchyard client: a typed client of every REST route on the global fetch, with resumable session events and typed errors',
    entry: 'libs/client/src/index.ts',
    readmeSection: 'Client and CLI',
    // The section goes on about the CLI, which is not in this package.
    readmeEnd: 'The CLI, `switchyard`',
  },
];

const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const rootTsconfig = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config;
/** `@switchyard/x` → `libs/x/src`, from tsconfig.json's paths. */
const ALIASES = Object.entries(rootTsconfig.compilerOptions.paths)
  .filter(([alias]) => !alias.endsWith('/*'))
  .map(([alias, [target]]) => ({ alias, target }));

/** esbuild plugin: TypeScript through swc, for the decorator metadata Nest's injection reads. */
const swcDecorators = {
  name: 'swc-decorators',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const { code } = await transform(readFileSync(path, 'utf8'), {
        filename: path,
        sourceMaps: 'inline',
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        // CommonJS, as under jest: a type swc cannot tell from a value (imported for decorator
        // metadata, or re-exported) is then an undefined property, not a missing ES export.
        module: { type: 'commonjs' },
      });
      return { contents: code, loader: 'js', resolveDir: dirname(path) };
    });
  },
};

/** `@nestjs/common/x` → `@nestjs/common`; `bullmq` → `bullmq`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Bundles the entry into `dir/dist/index.js`; answers the npm packages it imports. */
async function bundle(spec, dir) {
  const { metafile } = await build({
    entryPoints: [join(ROOT, spec.entry)],
    outfile: join(dir, 'dist', 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: join(ROOT, 'tsconfig.json'),
    loader: { '.lua': 'text' },
    plugins: [swcDecorators],
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  });
  const imported = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) {
      if (external && !path.startsWith('node:') && !builtinModules.includes(path)) imported.add(packageOf(path));
    }
  }
  return imported;
}

/** The packages' versions as the root package.json pins them. */
function pinned(spec, names) {
  const dependencies = {};
  for (const name of [...names].sort()) {
    const version = rootPackage.dependencies[name];
    if (!version) throw new Error(`${spec.name} imports ${name}, which is not in the dependencies of the root package.json`);
    dependencies[name] = version;
  }
  return dependencies;
}

/** `from '@switchyard/orchestration'` in `file` → `from '../../orchestration/src'` (relative to the declarations' root). */
function rewriteAliases(file, text, typesRoot) {
  return text.replace(/(['"])(@switchyard\/[\w-]+)(\/[^'"]*)?\1/g, (whole, quote, alias, rest = '') => {
    const mapped = ALIASES.find((a) => a.alias === alias);
    if (!mapped) return whole;
    const target = join(typesRoot, relative('libs', mapped.target), rest);
    const path = relative(dirname(file), target).replaceAll('\\', '/');
    return `${quote}${path.startsWith('.') ? path : `./${path}`}${quote}`;
  });
}

/**
 * Declarations of the entry and everything it reaches in libs/, into `dir/types`. Answers the
 * entry's .d.ts (relative to `dir`) and the npm packages the declarations import: a project
 * that compiles against them needs those installed too, even where the code only needs their types.
 */
function declarations(spec, dir) {
  const typesRoot = join(dir, 'types');
  const options = {
    ...ts.convertCompilerOptionsFromJson(rootTsconfig.compilerOptions, ROOT).options,
    declaration: true,
    emitDeclarationOnly: true,
    sourceMap: false,
    noEmit: false,
    rootDir: join(ROOT, 'libs'),
    outDir: typesRoot,
    types: ['node'],
  };
  const program = ts.createProgram([join(ROOT, spec.entry), join(ROOT, 'libs/orchestration/src/lua-modules.d.ts')], options);
  const imported = new Set();
  const result = program.emit(undefined, (file, text) => {
    const rewritten = rewriteAliases(file, text, typesRoot);
    for (const [, specifier] of rewritten.matchAll(/(?:from |import\()['"]([^.'"][^'"]*)['"]/g)) imported.add(packageOf(specifier));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, rewritten);
  });
  // The code itself is type-checked by `npm run typecheck`; here only what declarations need.
  if (result.emitSkipped || result.diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
    throw new Error(`tsc could not emit the declarations of ${spec.name}:\n${ts.formatDiagnostics(result.diagnostics, host)}`);
  }
  return { types: relative(dir, join(typesRoot, relative('libs', spec.entry))).replace(/\.ts$/, '.d.ts'), imported };
}

/** The package's README.md: its description, and its section of the repository's README (up to the next `## `, or its `readmeEnd`). */
function packageReadme(spec) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${spec.readmeSection}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${spec.readmeSection}" for ${spec.name}`);
  const sectionEnd = readme.indexOf('\n## ', start + 1);
  const cut = spec.readmeEnd ? readme.indexOf(`\n${spec.readmeEnd}`, start) : -1;
  const end = cut >= 0 && (sectionEnd < 0 || cut < sectionEnd) ? cut : sectionEnd;
  return `# ${spec.name}\n\n${spec.description}.\n${readme.slice(start, end < 0 ? undefined : end + 1)}`;
}

/** Builds one package into .tmp/packages/build/<name>/ and packs it; answers the tarball's path and size. */
async function pack(spec) {
  const dir = join(OUT, 'build', spec.name.replace('@', '').replace('/', '-'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const required = await bundle(spec, dir);
  const { types, imported } = declarations(spec, dir);
  const dependencies = pinned(spec, new Set([...required, ...imported]));
  const manifest = {
    name: spec.name,
    version: rootPackage.version,
    description: spec.description,
    license: rootPackage.license,
    engines: rootPackage.engines,
    main: 'dist/index.js',
    types,
    files: ['dist', 'types'],
    dependencies,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), packageReadme(spec));
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', OUT], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  return { file: join(OUT, packed.filename), size: packed.size, unpackedSize: packed.unpackedSize, entryCount: packed.entryCount };
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !PACKAGES.some((p) => p.name === name));
if (unknown.length > 0) {
  console.error(`pack: no package ${unknown.join(', ')}; the packages are ${PACKAGES.map((p) => p.name).join(', ')}`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
for (const spec of PACKAGES.filter((p) => wanted.length === 0 || wanted.includes(p.name))) {
  const packed = await pack(spec);
  console.log(
    `${spec.name}: ${relative(process.cwd(), packed.file)} (${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files)`,
  );
}
