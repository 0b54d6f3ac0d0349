/**
 * deploy/grafana/yunxin-folder-sync.json checked against the service, so the dashboard cannot
 * drift from the metrics: every metric an expression or a variable names is in a real scrape of
 * a worker or of serve (after a run with failed, rate-limited and successful provider calls),
 * every label an expression matches or groups by is one the metric has, and every value it
 * matches is one the service really writes.
 */
import { readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
import { Histogram } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOf, loadConfig } from '../../src/config.js';
import type { RedisClient } from '../../src/jobs/connection.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { driveThroughFailures, type MetricsStack, startMetricsStack } from '../support/metrics-stack.js';
import { hasSeries, type Sample } from '../support/prometheus.js';

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { uid?: string };
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../deploy/grafana/yunxin-folder-sync.json', import.meta.url), 'utf8'),
) as { panels: Panel[]; templating: { list: Variable[] } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const graphs = panels.filter((p) => p.type !== 'row');
const expressions = graphs.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const queryVariables = dashboard.templating.list.filter((v) => v.type === 'query');
const queryOf = (v: Variable) => (typeof v.query === 'string' ? v.query : v.query.query);

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
const DATASOURCE = '${datasource}';
/** Labels Prometheus adds to every scraped series (not the service's own), and the dashboard's filters on them. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'service', 'job', 'instance', 'container', 'endpoint']);
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'offset', 'bool']);
const SELECTOR = /([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g;
const MATCHER = /(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g;

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((m) => m[1]!)
    .filter((w) => !PROMQL_WORDS.has(w));
}

/** The label names an expression groups by (`by (…)`, `without (…)`). */
const groupingLabels = (expr: string) =>
  [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );

/** The labels each metric of the service declares (prom-client's labelNames), by series name. */
function declaredLabels(): Map<string, Set<string>> {
  const fakeQueue = (name: string) => ({ name, getJobCounts: async () => ({}) }) as unknown as Queue;
  const metrics = new Metrics(Object.values(QUEUES).map(fakeQueue));
  metrics.watchParked({ hlen: async () => 0 } as unknown as RedisClient, keysOf(loadConfig({})));
  const labels = new Map<string, Set<string>>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    const names = new Set((m as unknown as { labelNames?: string[] }).labelNames ?? []);
    labels.set(m.name, names);
    if (m instanceof Histogram) {
      labels.set(`${m.name}_bucket`, new Set([...names, 'le']));
      for (const part of ['sum', 'count']) labels.set(`${m.name}_${part}`, names);
    }
  }
  return labels;
}

let stack: MetricsStack;
let samples: Sample[];
let exported: (name: string) => boolean;
beforeAll(async () => {
  stack = await startMetricsStack();
  await driveThroughFailures(stack);
  const scrapes = [await stack.scrape('worker'), await stack.scrape('serve')];
  samples = scrapes.flatMap((s) => s.samples);
  exported = (name) => scrapes.some((s) => hasSeries(s, name));
}, 60_000);
afterAll(() => stack?.close());

describe('the Grafana dashboard', () => {
  it('reads the Prometheus datasource variable in every panel, target and query variable', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(expressions.length).toBeGreaterThan(0);
    for (const p of graphs) {
      expect(p.datasource?.uid, p.title).toBe(DATASOURCE);
      for (const t of p.targets ?? [])
        expect(t.datasource?.uid ?? p.datasource?.uid, p.title).toBe(DATASOURCE);
    }
    for (const v of queryVariables) expect(v.datasource?.uid, v.name).toBe(DATASOURCE);
  });

  it('names only metrics a worker or serve exports', () => {
    const named = [
      ...expressions.flatMap(({ panel, expr }) => metricNames(expr).map((name) => ({ where: panel, name }))),
      ...queryVariables.flatMap((v) =>
        [...queryOf(v).matchAll(/label_values\(\s*([a-zA-Z_:][\w:]*)/g)].map((m) => ({
          where: `variable ${v.name}`,
          name: m[1]!,
        })),
      ),
    ];
    for (const { panel, expr } of expressions)
      expect(metricNames(expr).length, `${panel}: ${expr}`).toBeGreaterThan(0);
    const missing = named.filter(({ name }) => !exported(name)).map(({ where, name }) => `${where}: ${name}`);
    expect(missing).toEqual([]);
  });

  it('matches and groups by labels the metrics have, and matches values the service writes', () => {
    const labels = declaredLabels();
    const problems: string[] = [];
    for (const { panel, expr } of expressions) {
      const names = metricNames(expr);
      for (const [, metric, matchers] of expr.matchAll(SELECTOR)) {
        for (const [, label, op, value] of matchers!.matchAll(MATCHER)) {
          if (TARGET_LABELS.has(label!)) continue;
          if (!labels.get(metric!)?.has(label!)) {
            problems.push(`${panel}: ${metric} has no label ${label}`);
            continue;
          }
          const seen = new Set(samples.filter((s) => s.name === metric).map((s) => s.labels[label!]));
          for (const v of op!.endsWith('~') ? value!.split('|') : [value!])
            if (!seen.has(v))
              problems.push(`${panel}: ${metric}{${label}${op}"${value}"}: no sample has ${v}`);
        }
      }
      for (const label of groupingLabels(expr)) {
        if (!TARGET_LABELS.has(label) && !names.some((n) => labels.get(n)?.has(label)))
          problems.push(`${panel}: no metric of \`${expr}\` has the label ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has panels for what operators watch', () => {
    const used = new Set(expressions.flatMap(({ expr }) => metricNames(expr)));
    for (const name of [
      'folder_sync_events_total',
      'folder_sync_events_folded_total',
      'folder_sync_reconciles_total',
      'folder_sync_reconcile_duration_seconds_bucket',
      'folder_sync_provider_calls_total',
      'folder_sync_rate_limit_pauses_total',
      'folder_sync_queue_jobs',
      'folder_sync_job_runs_total',
      'folder_sync_accounts_parked',
      'folder_sync_drift_found_total',
      'folder_sync_redis_data_loss_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('lays out panels without overlaps, within 24 columns, with unique ids', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const overlap = (a: Panel['gridPos'], b: Panel['gridPos']) =>
      a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const [i, a] of panels.entries()) {
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
      for (const b of panels.slice(i + 1))
        expect(overlap(a.gridPos, b.gridPos), `${a.title} / ${b.title}`).toBe(false);
    }
  });
});
