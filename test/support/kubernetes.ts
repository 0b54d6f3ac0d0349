/**
 * Rendering deploy/kubernetes/ with the real kustomize (`kubectl kustomize`) and reading what
 * comes out, for test/deploy/. No cluster is needed: rendering is local.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './processes.js';

export const DEPLOY_DIR = join(ROOT, 'deploy/kubernetes');

export type Labels = Record<string, string>;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field by the tests
  spec?: any;
  data?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

const KUBECTL_MISSING =
  'kubectl not found: it renders deploy/kubernetes with its built-in kustomize (v5; kubectl ≥ 1.27). ' +
  'It is on the project machines; elsewhere install kubectl from the Kubernetes packages.';

/** `kubectl kustomize DIR` parsed into objects; throws with kustomize's own message. */
export function kustomize(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(
      e.code === 'ENOENT' ? KUBECTL_MISSING : `kubectl kustomize ${dir}: ${e.stderr ?? e.message}`,
    );
  }
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw new Error(`kustomize printed bad YAML: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  });
}

/**
 * Renders a throwaway overlay over `base` (a directory under deploy/kubernetes): `files` are its
 * kustomization.yaml and whatever it reads. Kustomize refuses absolute bases, hence the relative one.
 */
export function kustomizeOverlay(
  base: string,
  files: (baseRef: string) => Record<string, string>,
): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  try {
    for (const [name, text] of Object.entries(files(relative(dir, join(DEPLOY_DIR, base)))))
      writeFileSync(join(dir, name), text);
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const ofKind = (objects: K8sObject[], kind: string): K8sObject[] =>
  objects.filter((o) => o.kind === kind);

/** A label selector's matchLabels (the manifests use no matchExpressions) against labels. */
export function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => labels?.[k] === v);
}

const QUANTITY_SUFFIX: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
};

/** A Kubernetes quantity ("250m", "1", "384Mi") as a number, to compare requests with limits. */
export function quantity(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(text));
  const factor = m ? QUANTITY_SUFFIX[m[2]!] : undefined;
  if (!m || factor === undefined) throw new Error(`not a quantity this test reads: ${text}`);
  return Number(m[1]) * factor;
}
