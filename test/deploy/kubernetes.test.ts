/**
 * deploy/kubernetes/ checked against the code, as test/compose/compose.test.ts checks
 * docker-compose.yml: the commands are real folder-sync commands, the variables are keys of the
 * configuration schema, secrets come from the Secret, probes ask paths the HTTP app serves, the
 * grace period outlasts the drain, the PDBs select the pods, the autoscaler scales the workers on
 * a metric the service exports.
 *
 * How the manifests are rendered: by the real kustomize (`kubectl kustomize`), no substitution of
 * our own. The issue asked for "a Helm chart (or kustomize)". Helm cannot be installed on the
 * project's machines (neither Debian nor the npm registry has it), so a chart could only have been
 * checked through a home-made rendering of its templates, which tests that rendering as much as
 * the chart. kubectl, with kustomize built in, is on the machines: the objects read here are the
 * ones `kubectl apply -k` sends. What Helm values would do, an overlay does (patches, generators:
 * overlays/example), and the optional parts (ServiceMonitor, KEDA) are kustomize components.
 *
 * Three renderings: the base; overlays/example (both components on); an operator's own overlay
 * over the example, with a name prefix and the Secret generated from an env file (the documented
 * route for a Secret the deployment creates itself).
 */
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { configSchema, keysOf, loadConfig, SECRET_VARIABLES } from '../../src/config.js';
import { httpApp } from '../../src/http/app.js';
import { isLoopback } from '../../src/http/listen.js';
import type { RedisClient } from '../../src/jobs/connection.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { detectRulesFormat, parseRulesText } from '../../src/rules/load.js';
import { parseError, subcommand } from '../support/cli-words.js';
import {
  type Container,
  DEPLOY_DIR,
  type EnvVar,
  type K8sObject,
  kustomize,
  kustomizeOverlay,
  ofKind,
  type Probe,
  quantity,
  selects,
} from '../support/kubernetes.js';

const base = kustomize(`${DEPLOY_DIR}/base`);
const example = kustomize(`${DEPLOY_DIR}/overlays/example`);
const exampleNamespace = ofKind(example, 'Deployment')[0]?.metadata.namespace;
/** values of the Secret the generated rendering creates (made up: nothing here is a real secret) */
const GENERATED_SECRET = {
  REDIS_URL: 'redis://:generated-redis-password@redis.folder-sync.svc:6379',
  PROVIDER_SECRET: 'generated-app-secret',
  INGEST_TOKEN: 'generated-ingest-token-0123456789',
};
/** an overlay of an operator's own: a name prefix, and the Secret generated from a file */
const ownOverlay = kustomizeOverlay('overlays/example', (exampleDir) => ({
  // the overlay's namespace too: kustomize renames references only within one namespace
  'kustomization.yaml': [
    `namespace: ${exampleNamespace}`,
    'namePrefix: acme-',
    `resources: [${exampleDir}]`,
    'secretGenerator:',
    '  - name: yunxin-folder-sync',
    '    envs: [secrets.env]',
  ].join('\n'),
  'secrets.env': Object.entries(GENERATED_SECRET)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n'),
}));
const RENDERINGS: Array<[string, K8sObject[]]> = [
  ['base', base],
  ['overlays/example', example],
  ['own overlay: overlays/example + namePrefix + generated Secret', ownOverlay],
];

const CONFIG_KEYS = new Set(Object.keys(configSchema.shape));
/** REDIS_URL carries the Redis password; the others are the secrets of src/config.ts. */
const SECRETS = new Set<string>([...SECRET_VARIABLES, 'REDIS_URL']);
const PROVIDER_SECRETS = ['PROVIDER_SECRET'];

type Role = 'worker' | 'serve';
interface Process {
  deployment: K8sObject;
  container: Container;
  /** plain values: the envFrom ConfigMaps, then `env` values (which win, as in Kubernetes) */
  env: Record<string, string>;
  /** variables whose value comes from a Secret */
  secretRefs: EnvVar[];
}

/** The two long-running processes of a rendering, by their folder-sync command. */
function processes(objects: K8sObject[]): Record<Role, Process> {
  const found: Partial<Record<Role, Process>> = {};
  for (const deployment of ofKind(objects, 'Deployment')) {
    const containers: Container[] = deployment.spec.template.spec.containers;
    expect(containers, deployment.metadata.name).toHaveLength(1);
    const container = containers[0]!;
    const role = container.args?.[0] as Role;
    expect(['worker', 'serve'], `${deployment.metadata.name} runs ${container.args}`).toContain(role);
    expect(found[role], `two Deployments run ${role}`).toBeUndefined();
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      expect(from.secretRef, 'secrets by name (env[].valueFrom), so each one is checked').toBeUndefined();
      Object.assign(env, configMap(objects, from.configMapRef!.name).data);
    }
    const secretRefs: EnvVar[] = [];
    for (const v of container.env ?? []) {
      if (v.valueFrom?.secretKeyRef) secretRefs.push(v);
      else env[v.name] = v.value ?? '';
    }
    found[role] = { deployment, container, env, secretRefs };
  }
  expect(Object.keys(found).sort()).toEqual(['serve', 'worker']);
  return found as Record<Role, Process>;
}

function configMap(objects: K8sObject[], name: string): K8sObject {
  const map = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === name);
  if (!map) throw new Error(`ConfigMap ${name} is referenced but not rendered`);
  return map;
}

/** What the process's configuration says for `key`, its schema default when unset. */
function setting(p: Process, key: keyof typeof configSchema.shape): unknown {
  return loadConfig(p.env)[key];
}

/** The containerPort a probe or a Service's targetPort names. */
function containerPort(c: Container, port: string | number): number | undefined {
  return typeof port === 'number'
    ? c.ports?.find((p) => p.containerPort === port)?.containerPort
    : c.ports?.find((p) => p.name === port)?.containerPort;
}

/** The port the process itself listens on, from its configuration. */
function listeningPort(role: Role, p: Process): number {
  return Number(setting(p, role === 'worker' ? 'WORKER_METRICS_PORT' : 'HTTP_PORT'));
}

/** The product's HTTP app, as both processes build it, with readiness answering `ready`. */
const app = (ready: boolean) =>
  httpApp({
    config: loadConfig({}),
    log: createLogger({ level: 'silent' }),
    metrics: new Metrics([], { defaultMetrics: false }),
    readiness: { check: async () => ({ test: ready }) },
  });
const status = async (path: string, ready: boolean) => (await app(ready).request(path)).status;

const preStopSeconds = (c: Container): number => {
  const stop = c.lifecycle?.preStop;
  if (!stop) return 0;
  const [cmd, seconds] = stop.exec?.command ?? [];
  expect(cmd, 'a preStop other than sleep: this test does not know how long it takes').toBe('sleep');
  return Number(seconds);
};

describe.each(RENDERINGS)('%s', (_name, objects) => {
  const procs = processes(objects);
  const each = Object.entries(procs) as Array<[Role, Process]>;

  it('runs `folder-sync worker` and `folder-sync serve`, real commands, keeping the image ENTRYPOINT', () => {
    for (const [role, p] of each) {
      expect(p.container.command, `${role}: command would replace ENTRYPOINT (node bin/folder-sync.js)`).toBe(
        undefined,
      );
      const words = p.container.args!;
      expect(subcommand(buildProgram(), words[0]!), words.join(' ')).toBeDefined();
      expect(parseError(words), `commander refuses "${words.join(' ')}"`).toBeUndefined();
    }
  });

  it('sets only variables of the configuration schema, each valid, none set twice', () => {
    for (const [role, p] of each) {
      const names = [...Object.keys(p.env), ...p.secretRefs.map((v) => v.name)];
      expect(
        names.filter((n) => !CONFIG_KEYS.has(n)),
        `${role} sets variables nothing reads`,
      ).toEqual([]);
      expect(() => loadConfig(p.env), role).not.toThrow();
      // a key in both the ConfigMap and `env` is silently decided by `env`
      const fromMaps = (p.container.envFrom ?? []).flatMap((f) =>
        Object.keys(configMap(objects, f.configMapRef!.name).data ?? {}),
      );
      const fromEnv = (p.container.env ?? []).map((v) => v.name);
      expect(
        fromEnv.filter((n, i) => fromEnv.indexOf(n) !== i || fromMaps.includes(n)),
        `${role}: set twice`,
      ).toEqual([]);
    }
  });

  it('takes every secret from one Secret, never from a value or a ConfigMap', () => {
    const secretNames = new Set<string>();
    for (const [role, p] of each) {
      expect(
        Object.keys(p.env).filter((k) => SECRETS.has(k)),
        `${role}: secrets as plain values`,
      ).toEqual([]);
      for (const v of p.secretRefs) {
        const ref = v.valueFrom!.secretKeyRef!;
        expect(SECRETS.has(v.name), `${role}: ${v.name} from the Secret is no secret`).toBe(true);
        expect(ref.key, `${role}: the Secret's keys are the variables' names`).toBe(v.name);
        secretNames.add(ref.name);
      }
      const redis = p.secretRefs.find((v) => v.name === 'REDIS_URL');
      expect(redis, `${role}: REDIS_URL (it holds the Redis password)`).toBeDefined();
      expect(redis!.valueFrom!.secretKeyRef!.optional, `${role}: REDIS_URL is required`).toBeFalsy();
    }
    expect(secretNames.size, 'one Secret').toBe(1);
    // least privilege: serve never calls the provider
    const serveSecrets = procs.serve.secretRefs.map((v) => v.name);
    expect(serveSecrets.filter((n) => PROVIDER_SECRETS.includes(n))).toEqual([]);
    expect(procs.worker.secretRefs.map((v) => v.name)).toEqual(expect.arrayContaining(PROVIDER_SECRETS));
    for (const map of ofKind(objects, 'ConfigMap')) {
      for (const [key, value] of Object.entries(map.data ?? {})) {
        expect(SECRETS.has(key), `ConfigMap ${map.metadata.name} holds ${key}`).toBe(false);
        const password = URL.canParse(value) ? new URL(value).password : '';
        expect(password, `ConfigMap ${map.metadata.name}: ${key} holds a password`).toBe('');
      }
    }
  });

  it('probes ask paths the HTTP app serves, on the port the process listens on, reachable off loopback', async () => {
    for (const [role, p] of each) {
      const port = listeningPort(role, p);
      expect(port, `${role}: no port, no /healthz (a worker needs WORKER_METRICS_PORT)`).toBeGreaterThan(0);
      expect(
        isLoopback(String(setting(p, 'HTTP_HOST'))),
        `${role}: HTTP_HOST, the kubelet probes the pod IP`,
      ).toBe(false);
      const probes: Array<[string, Probe | undefined]> = [
        ['liveness', p.container.livenessProbe],
        ['readiness', p.container.readinessProbe],
        ['startup', p.container.startupProbe],
      ];
      for (const [kind, probe] of probes) {
        if (kind === 'startup' && !probe) continue;
        const get = probe?.httpGet;
        expect(get, `${role}: ${kind} probe over HTTP`).toBeDefined();
        expect(containerPort(p.container, get!.port), `${role}: ${kind} probe port`).toBe(port);
        const answers = [await status(get!.path, true), await status(get!.path, false)];
        // liveness must not follow readiness, or a Redis outage restarts every pod at once
        expect(answers, `${role}: ${kind} probe GET ${get!.path} (ready, not ready)`).toEqual(
          kind === 'readiness' ? [200, 503] : [200, 200],
        );
      }
    }
  });

  it('gives each process longer than its preStop and SHUTDOWN_TIMEOUT_MS drain before SIGKILL', () => {
    for (const [role, p] of each) {
      const grace = p.deployment.spec.template.spec.terminationGracePeriodSeconds;
      expect(grace, `${role}: the default grace is 30 s`).toBeDefined();
      const needed = preStopSeconds(p.container) * 1000 + Number(setting(p, 'SHUTDOWN_TIMEOUT_MS'));
      expect(grace * 1000, role).toBeGreaterThan(needed);
    }
  });

  it('requests and limits cpu and memory, requests within limits', () => {
    for (const [role, p] of each) {
      const { requests, limits } = p.container.resources ?? {};
      for (const r of ['cpu', 'memory']) {
        expect(requests?.[r], `${role}: requests.${r}`).toBeDefined();
        expect(limits?.[r], `${role}: limits.${r}`).toBeDefined();
        expect(quantity(requests![r]!), `${role}: ${r}`).toBeLessThanOrEqual(quantity(limits![r]!));
      }
    }
  });

  it("has a PodDisruptionBudget for each Deployment's pods that selects no other pods", () => {
    const pdbs = ofKind(objects, 'PodDisruptionBudget');
    for (const [role, p] of each) {
      const podLabels = p.deployment.spec.template.metadata.labels;
      expect(selects(p.deployment.spec.selector.matchLabels, podLabels), `${role}: own selector`).toBe(true);
      const mine = pdbs.filter((b) => selects(b.spec.selector.matchLabels, podLabels));
      expect(mine, `${role}: PDBs`).toHaveLength(1);
      expect(mine[0]!.spec.maxUnavailable ?? mine[0]!.spec.minAvailable, role).toBeDefined();
    }
    for (const pdb of pdbs) {
      const selected = each.filter(([, p]) =>
        selects(pdb.spec.selector.matchLabels, p.deployment.spec.template.metadata.labels),
      );
      expect(selected, `PDB ${pdb.metadata.name} selects one Deployment`).toHaveLength(1);
    }
  });

  it("has Services that each select one Deployment's pods and target a port they listen on", () => {
    const services = ofKind(objects, 'Service');
    expect(services.length).toBeGreaterThanOrEqual(2);
    for (const svc of services) {
      const selected = each.filter(([, p]) =>
        selects(svc.spec.selector, p.deployment.spec.template.metadata.labels),
      );
      expect(selected, `Service ${svc.metadata.name}`).toHaveLength(1);
      const [role, p] = selected[0]!;
      for (const port of svc.spec.ports)
        expect(containerPort(p.container, port.targetPort), `${svc.metadata.name} → ${role}`).toBe(
          listeningPort(role, p),
        );
    }
  });

  it('mounts the rules file FOLDER_RULES names from a ConfigMap, and the rules are valid', () => {
    const p = procs.worker;
    const path = String(setting(p, 'FOLDER_RULES'));
    const mount = p.container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
    expect(mount, `FOLDER_RULES=${path} is under no volumeMount`).toBeDefined();
    const volume = p.deployment.spec.template.spec.volumes.find(
      (v: { name: string }) => v.name === mount!.name,
    );
    expect(volume?.configMap, `volume ${mount!.name} is a ConfigMap`).toBeDefined();
    const file = path.slice(mount!.mountPath.length + 1);
    const text = configMap(objects, volume.configMap.name).data?.[file];
    expect(text, `ConfigMap ${volume.configMap.name} has no key ${file}`).toBeDefined();
    const parsed = parseRulesText(text!, detectRulesFormat(path, text!));
    expect(parsed.ok ? 'valid' : parsed.error).toBe('valid');
  });

  it('runs one image in every container', () => {
    const images = new Set(each.map(([, p]) => p.container.image));
    expect([...images]).toHaveLength(1);
  });
});

describe('base', () => {
  it('needs no CRD and holds no Secret: monitoring, autoscaling and secrets are added by overlays', () => {
    const kinds = new Set(base.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
  });
});

describe('own overlay', () => {
  it('points every reference at the generated Secret, which has each required key', () => {
    const secrets = ofKind(ownOverlay, 'Secret');
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;
    for (const p of Object.values(processes(ownOverlay))) {
      for (const v of p.secretRefs) {
        const ref = v.valueFrom!.secretKeyRef!;
        expect(ref.name, v.name).toBe(secret.metadata.name);
        if (!ref.optional) expect(Object.keys(secret.data ?? {}), v.name).toContain(ref.key);
      }
    }
  });
});

type SeriesLabels = Partial<Record<string, string | number>>;

/** Every series name the service exports, and the label sets seen for each (from fakes, no Redis). */
async function exportedMetrics(): Promise<Map<string, SeriesLabels[]>> {
  const fakeQueue = (name: string) => ({ name, getJobCounts: async () => ({}) }) as unknown as Queue;
  const metrics = new Metrics(Object.values(QUEUES).map(fakeQueue));
  metrics.watchParked({ hlen: async () => 0 } as unknown as RedisClient, keysOf(loadConfig({})));
  const series = new Map<string, SeriesLabels[]>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    series.set(m.name, series.get(m.name) ?? []);
    for (const v of m.values) {
      const name = (v as { metricName?: string }).metricName ?? m.name;
      series.set(name, [...(series.get(name) ?? []), v.labels]);
    }
  }
  return series;
}

/** Labels Prometheus adds to every scraped series (not the service's own). */
const TARGET_LABELS = new Set(['namespace', 'pod', 'service', 'job', 'instance', 'container', 'endpoint']);

describe.each(RENDERINGS.slice(1))('%s: optional monitoring and autoscaling', (_name, objects) => {
  const procs = processes(objects);
  const services = ofKind(objects, 'Service');

  it('has a ServiceMonitor scraping /metrics of both processes', async () => {
    const monitors = ofKind(objects, 'ServiceMonitor');
    expect(monitors).toHaveLength(1);
    const monitor = monitors[0]!;
    for (const [role, p] of Object.entries(procs)) {
      const podLabels = p.deployment.spec.template.metadata.labels;
      const svc = services.find((s) => selects(s.spec.selector, podLabels));
      expect(selects(monitor.spec.selector.matchLabels, svc?.metadata.labels), `${role}'s Service`).toBe(
        true,
      );
      const scraped = monitor.spec.endpoints.filter((e: { port: string }) =>
        svc!.spec.ports.some((sp: { name: string }) => sp.name === e.port),
      );
      expect(scraped, `${role}: an endpoint names a port of its Service`).toHaveLength(1);
      const res = await app(true).request(scraped[0].path);
      expect(res.status, scraped[0].path).toBe(200);
      expect(await res.text()).toContain('folder_sync_');
    }
  });

  it('scales the worker Deployment with KEDA, from a floor of one, which then owns its replica count', () => {
    const scaled = ofKind(objects, 'ScaledObject');
    expect(scaled).toHaveLength(1);
    const so = scaled[0]!;
    const target = so.spec.scaleTargetRef;
    expect(target.kind ?? 'Deployment').toBe('Deployment');
    expect(target.name).toBe(procs.worker.deployment.metadata.name);
    expect(so.metadata.namespace).toBe(procs.worker.deployment.metadata.namespace);
    expect(so.spec.minReplicaCount, 'never zero workers: verification runs in them').toBeGreaterThanOrEqual(
      1,
    );
    expect(so.spec.maxReplicaCount).toBeGreaterThanOrEqual(so.spec.minReplicaCount);
    expect(procs.worker.deployment.spec.replicas, 'a fixed count fights the autoscaler').toBeUndefined();
  });

  it("scales on a metric the service exports, with labels it has, in the deployment's namespace", async () => {
    const so = ofKind(objects, 'ScaledObject')[0]!;
    const triggers = so.spec.triggers as Array<{ type: string; metadata: Record<string, string> }>;
    expect(triggers.map((t) => t.type)).toEqual(['prometheus']);
    const query = triggers[0]!.metadata['query']!;
    const exported = await exportedMetrics();
    const selectors = [...query.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)];
    expect(selectors.length, query).toBeGreaterThan(0);
    for (const [, metric, matchers] of selectors) {
      const seen = exported.get(metric!);
      expect(seen, `${metric} is not exported (src/metrics/metrics.ts)`).toBeDefined();
      for (const [, label, op, value] of matchers!.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
        if (label === 'namespace') {
          expect(`${op}${value}`, 'namespace').toBe(`=${so.metadata.namespace}`);
          continue;
        }
        if (TARGET_LABELS.has(label!)) continue;
        const values = new Set(seen!.map((l) => String(l[label!])));
        expect(values.has('undefined'), `${metric} has no label ${label}`).toBe(false);
        for (const v of op!.endsWith('~') ? value!.split('|') : [value!])
          expect([...values], `${metric}{${label}${op}"${value}"}`).toContain(v);
      }
    }
  });
});
