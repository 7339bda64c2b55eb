import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_OPTIONS, AgentOptions, BUILTIN_AGENTS } from '@switchyard/agents';

const ROOT = join(__dirname, '..');
const OVERLAYS = ['single-redis', 'redis-cluster'];

interface Rendered {
  overlay: string;
  objects: any[];
  problems: string[];
}

/**
 * Runs scripts/k8s-validate.mjs (kubectl kustomize, then every object validated against the
 * Kubernetes and KEDA schemas by kubernetes-models and @kubernetes-models/keda, offline); answers
 * what it rendered and found, and its exit code.
 */
function render(...dirs: string[]): { code: number; results: Rendered[] } {
  try {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'k8s-validate.mjs'), '--json', ...dirs], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: 0, results: JSON.parse(out) as Rendered[] };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { code: failed.status, results: JSON.parse(failed.stdout) as Rendered[] };
  }
}

const podSpecs = (objects: any[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const named = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

/** Every capability the standard worker's built-in agents take. */
const builtinCapabilities = () => BUILTIN_AGENTS.flatMap((agent) => (Reflect.getMetadata(AGENT_OPTIONS, agent) as AgentOptions).capabilities).sort();

/** The shape of a check the manifests must pass; listed per overlay so a failure names it. */
describe('the Kubernetes manifests (deploy/k8s)', () => {
  let rendered: Map<string, any[]>;

  beforeAll(() => {
    const { code, results } = render(...OVERLAYS.map((o) => join('deploy', 'k8s', 'overlays', o)));
    expect(results.flatMap((r) => r.problems)).toEqual([]);
    expect(code).toBe(0);
    rendered = new Map(results.map((r, i) => [OVERLAYS[i], r.objects]));
  });

  it('validation bites: an object that breaks its schema, or a kind without one, is a problem and exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-k8s-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - bad.yaml\n');
      writeFileSync(
        join(dir, 'bad.yaml'),
        [
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: two\n  selector: {}\n  template: {}\n',
          'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: bad\nspec:\n  triggers: []\n',
          'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: odd\n',
        ].join('---\n'),
      );
      const { code, results } = render(dir);
      expect(code).toBe(1);
      // kustomize orders the objects by kind.
      expect([...results[0].problems].sort()).toEqual([
        expect.stringMatching(/^Deployment bad: .*replicas must be integer/),
        'Gadget odd: no schema for example.com/v1 Gadget',
        expect.stringMatching(/^ScaledObject bad: .*required property scaleTargetRef/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const objects = () => rendered.get(overlay)!;
    const config = () => named(objects(), 'ConfigMap', 'switchyard-config').data as Record<string, string>;

    it('has the API Deployment and its Service, the worker Deployment, the ConfigMap and the Secret', () => {
      expect(named(objects(), 'Deployment', 'switchyard-api')).toBeDefined();
      expect(named(objects(), 'Deployment', 'switchyard-worker')).toBeDefined();
      const service = named(objects(), 'Service', 'switchyard-api');
      expect(service.spec.selector).toEqual(named(objects(), 'Deployment', 'switchyard-api').spec.selector.matchLabels);
      expect(service.spec.ports).toEqual([expect.objectContaining({ port: 3000, targetPort: 'http' })]);
      for (const deployment of ['switchyard-api', 'switchyard-worker']) {
        const container = named(objects(), 'Deployment', deployment).spec.template.spec.containers[0];
        expect(container.envFrom).toEqual([{ configMapRef: { name: 'switchyard-config' } }, { secretRef: { name: 'switchyard-secrets' } }]);
      }
      expect(objects().every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'switchyard')).toBe(true);
    });

    it('keeps the API keys in the Secret only', () => {
      const secret = named(objects(), 'Secret', 'switchyard-secrets');
      expect(Object.keys(secret.stringData).sort()).toEqual(['SWITCHYARD_API_KEYS', 'SWITCHYARD_OPENAI_API_KEY']);
      expect(Object.keys(config()).filter((name) => /KEY|SECRET|PASSWORD|TOKEN/.test(name))).toEqual([]);
    });

    it('probes the health routes: the API on /api/orchestrator/health, the worker on SWITCHYARD_WORKER_HEALTH_PORT', () => {
      const api = named(objects(), 'Deployment', 'switchyard-api').spec.template.spec.containers[0];
      expect(api.ports).toEqual([{ name: 'http', containerPort: Number(config().PORT) }]);
      expect(api.livenessProbe.httpGet).toEqual({ path: '/api/orchestrator/health/live', port: 'http' });
      expect(api.readinessProbe.httpGet).toEqual({ path: '/api/orchestrator/health/ready', port: 'http' });
      const worker = named(objects(), 'Deployment', 'switchyard-worker').spec.template.spec.containers[0];
      expect(worker.ports).toEqual([{ name: 'health', containerPort: Number(config().SWITCHYARD_WORKER_HEALTH_PORT) }]);
      expect(worker.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'health' });
      expect(worker.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'health' });
    });

    it('gives the worker a grace period above its shutdown timeout', () => {
      const grace = named(objects(), 'Deployment', 'switchyard-worker').spec.template.spec.terminationGracePeriodSeconds;
      expect(grace * 1000).toBeGreaterThanOrEqual(Number(config().SWITCHYARD_SHUTDOWN_TIMEOUT_MS) + 10_000);
    });

    it('runs every container non-root, read-only, without privilege escalation or capabilities, with requests and limits', () => {
      for (const workload of podSpecs(objects())) {
        const pod = workload.spec.template.spec;
        expect({ name: workload.metadata.name, runAsNonRoot: pod.securityContext.runAsNonRoot, user: pod.securityContext.runAsUser > 0 }).toEqual({
          name: workload.metadata.name,
          runAsNonRoot: true,
          user: true,
        });
        expect(pod.automountServiceAccountToken).toBe(false);
        for (const container of pod.containers) {
          expect({ name: container.name, ...container.securityContext }).toEqual({
            name: container.name,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          for (const part of ['requests', 'limits']) expect(Object.keys(container.resources[part]).sort()).toEqual(['cpu', 'memory']);
        }
      }
    });

    it('gives the apps a writable /tmp (an emptyDir), where the tool agents keep their workspace', () => {
      for (const deployment of ['switchyard-api', 'switchyard-worker']) {
        const pod = named(objects(), 'Deployment', deployment).spec.template.spec;
        expect(pod.containers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
        expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: expect.any(Object) }]);
      }
      expect(config().SWITCHYARD_WORKSPACE_DIR).toMatch(/^\/tmp\//);
    });

    it('has a PodDisruptionBudget for each Deployment', () => {
      for (const deployment of objects().filter((o) => o.kind === 'Deployment')) {
        const budgets = objects().filter(
          (o) =>
            o.kind === 'PodDisruptionBudget' &&
            Object.entries(o.spec.selector.matchLabels).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v),
        );
        expect({ deployment: deployment.metadata.name, budgets: budgets.length }).toEqual({ deployment: deployment.metadata.name, budgets: 1 });
      }
    });

    it('scales each worker Deployment with one ScaledObject: the backlog of each capability it hosts, summed over shards, and the oldest waiting age', () => {
      const workers = objects().filter((o) => o.kind === 'Deployment' && o.metadata.name.includes('worker'));
      const scaled = objects().filter((o) => o.kind === 'ScaledObject');
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(workers.map((w) => w.metadata.name).sort());
      for (const object of scaled) {
        expect(object.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
        expect(object.spec.maxReplicaCount).toBeGreaterThan(object.spec.minReplicaCount);
        expect(object.spec.cooldownPeriod).toBeGreaterThanOrEqual(60);
        const triggers = object.spec.triggers as { type: string; metadata: { query: string; threshold: string } }[];
        expect(new Set(triggers.map((t) => t.type))).toEqual(new Set(['prometheus']));
        const capabilities = triggers.flatMap(
          (t) => /^sum\(max by \(shard\) \(switchyard_queue_backlog\{capability="([a-z_]+)"\}\)\)$/.exec(t.metadata.query)?.[1] ?? [],
        );
        expect(capabilities.sort()).toEqual(builtinCapabilities());
        const age = triggers.filter((t) => t.metadata.query.startsWith('max(switchyard_queue_oldest_waiting_seconds{'));
        expect(age).toHaveLength(1);
        for (const capability of builtinCapabilities()) expect(age[0].metadata.query).toContain(capability);
        for (const trigger of triggers) expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
      }
    });

    it('starts the apps the image holds, as the user the image runs as', () => {
      const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
      const user = /^USER (\d+)(?::(\d+))?$/m.exec(dockerfile);
      expect(user).not.toBeNull();
      const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      for (const [deployment, script] of [
        ['switchyard-api', 'start:api'],
        ['switchyard-worker', 'start:worker'],
      ]) {
        const pod = named(objects(), 'Deployment', deployment).spec.template.spec;
        expect(pod.securityContext.runAsUser).toBe(Number(user![1]));
        expect(pod.containers[0].command.join(' ')).toBe(scripts[script]);
      }
    });
  });

  it('single-redis: runs one Redis with a volume, and points REDIS_URL at its Service', () => {
    const objects = rendered.get('single-redis')!;
    const config = named(objects, 'ConfigMap', 'switchyard-config').data;
    const redis = named(objects, 'StatefulSet', 'switchyard-redis');
    expect(redis.spec.volumeClaimTemplates).toHaveLength(1);
    expect(redis.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    const url = new URL(config.REDIS_URL);
    const service = named(objects, 'Service', url.hostname);
    expect(service.spec.ports[0].port).toBe(Number(url.port));
    expect(service.spec.selector).toEqual(redis.spec.selector.matchLabels);
    expect(config.SWITCHYARD_REDIS_CLUSTER).toBeUndefined();
  });

  it('redis-cluster: names the seed nodes and spreads sessions over several shards, with no Redis of its own', () => {
    const objects = rendered.get('redis-cluster')!;
    const config = named(objects, 'ConfigMap', 'switchyard-config').data;
    const seeds = config.SWITCHYARD_REDIS_CLUSTER.split(',');
    expect(seeds.length).toBeGreaterThanOrEqual(3);
    for (const seed of seeds) expect(seed).toMatch(/^[a-z0-9.-]+:\d+$/);
    expect(Number(config.SWITCHYARD_SHARDS)).toBeGreaterThan(1);
    expect(config.REDIS_URL).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
  });
});
