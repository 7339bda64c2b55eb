// Builds kustomize overlays with `kubectl kustomize` and validates every rendered object offline,
// against the Kubernetes schemas (the npm package kubernetes-models) and KEDA's
// (@kubernetes-models/keda). No cluster needed: `kubectl create --dry-run=client` would ask a
// server for its API groups.
//
//   node scripts/k8s-validate.mjs deploy/k8s/overlays/single-redis deploy/k8s/overlays/redis-cluster
//   node scripts/k8s-validate.mjs --json <overlay>...   # the rendered objects too, for tests
//
// Exits 1 when an overlay does not build or an object does not validate (each problem on stderr).
// Both model packages are ES modules only, hence a script of its own (jest on Node 20 cannot load them).
import { execFileSync } from 'node:child_process';
import { loadAll } from 'js-yaml';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

/** The module holding the model of `apiVersion`'s kinds: KEDA's for keda.sh, else the Kubernetes one. */
function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [undefined, apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}`;
  return `kubernetes-models/${group ? `${group}/` : ''}${version}`;
}

async function validate(object) {
  const where = `${object?.kind ?? '?'} ${object?.metadata?.name ?? '?'}`;
  if (typeof object?.apiVersion !== 'string' || typeof object?.kind !== 'string') return `${where}: no apiVersion or kind`;
  let Model;
  try {
    Model = (await import(modelModule(object.apiVersion)))[object.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== 'function') return `${where}: no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return `${where}: ${error.message}`;
  }
}

async function check(overlay) {
  let text;
  try {
    text = execFileSync(KUBECTL, ['kustomize', overlay], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    return { overlay, objects: [], problems: [`kubectl kustomize ${overlay} failed: ${String(error.stderr || error.message).trim()}`] };
  }
  const objects = loadAll(text).filter((o) => o != null);
  const problems = (await Promise.all(objects.map(validate))).filter((p) => p !== undefined);
  return { overlay, objects, problems };
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const overlays = args.filter((a) => a !== '--json');
if (overlays.length === 0) {
  process.stderr.write('usage: node scripts/k8s-validate.mjs [--json] <kustomize dir>...\n');
  process.exit(2);
}
const results = [];
for (const overlay of overlays) results.push(await check(overlay));
for (const { overlay, objects, problems } of results) {
  for (const problem of problems) process.stderr.write(`${overlay}: ${problem}\n`);
  if (!json) process.stdout.write(`${overlay}: ${objects.length} objects, ${problems.length === 0 ? 'all valid' : `${problems.length} problems`}\n`);
}
if (json) process.stdout.write(JSON.stringify(results));
process.exit(results.some((r) => r.problems.length > 0) ? 1 : 0);
