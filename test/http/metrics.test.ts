import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/jobs/queues.js';
import { JOB_STATES } from '../../src/metrics/queue-counts.js';
import { CALL_OUTCOMES } from '../../src/provider/errors.js';
import { TIMEOUT_BUDGET } from '../../src/provider/latency-budget.js';
import { driveThroughFailures, type MetricsStack, startMetricsStack } from '../support/metrics-stack.js';
import { type Scrape, samplesOf } from '../support/prometheus.js';

let stack: MetricsStack;
const scrapes = {} as Record<'worker' | 'serve', Scrape>;
beforeAll(async () => {
  stack = await startMetricsStack();
  await driveThroughFailures(stack);
  scrapes.worker = await stack.scrape('worker');
  scrapes.serve = await stack.scrape('serve');
}, 60_000);
afterAll(() => stack?.close());

const PROCESSES = ['worker', 'serve'] as const;

describe.each(PROCESSES)('/metrics of %s', (process) => {
  it("has Node's default metrics under their standard names, and none under the old prefix", () => {
    const s = scrapes[process];
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(samplesOf(s, name).length, name).toBeGreaterThan(0);
    }
    expect([...s.types.keys()].filter((n) => n.startsWith('folder_sync_process_'))).toEqual([]);
  });

  it('has no label value that is a negative number', () => {
    const negative = scrapes[process].samples.flatMap((s) =>
      Object.entries(s.labels)
        .filter(([, v]) => /^-\d/.test(v))
        .map(([k, v]) => `${s.name}{${k}="${v}"}`),
    );
    expect(negative).toEqual([]);
  });

  it('has the job counts of every queue in every state, partitions summed', () => {
    const seen = samplesOf(scrapes[process], 'folder_sync_queue_jobs').map(
      (s) => `${s.labels['queue']}/${s.labels['state']}`,
    );
    const expected = Object.values(QUEUES).flatMap((q) => JOB_STATES.map((state) => `${q}/${state}`));
    expect(seen.sort()).toEqual(expected.sort());
    expect(samplesOf(scrapes[process], 'folder_sync_accounts_out_of_sync')).toHaveLength(1);
  });
});

describe("the worker's provider calls and jobs", () => {
  it('label every call with an outcome, and a code only when the provider answered one', () => {
    const calls = samplesOf(scrapes.worker, 'folder_sync_provider_calls_total');
    const byOutcome = new Map(calls.map((s) => [s.labels['outcome'], s]));
    for (const s of calls) expect(CALL_OUTCOMES).toContain(s.labels['outcome']);
    // the drive made each of these happen: HTTP 503 from a gateway, Yunxin's 416, success
    expect(byOutcome.get('http_error')?.labels['code']).toBe('');
    expect(byOutcome.get('rate_limited')?.labels['code']).toBe('416');
    expect(byOutcome.get('ok')?.labels['code']).toBe('200');
  });

  it("gauges each called endpoint's wait for an answer, between the floor and the default 10 s", () => {
    const called = new Set(
      samplesOf(scrapes.worker, 'folder_sync_provider_calls_total').map((s) => s.labels['endpoint']),
    );
    const budgets = samplesOf(scrapes.worker, 'folder_sync_provider_timeout_seconds');
    expect(budgets.length).toBeGreaterThan(0);
    for (const s of budgets) {
      expect(called).toContain(s.labels['endpoint']);
      expect(s.value).toBeGreaterThanOrEqual(TIMEOUT_BUDGET.floorMs / 1000);
      expect(s.value).toBeLessThanOrEqual(10);
    }
  });

  it('counts job runs by queue and outcome, with their run and wait times', () => {
    const runs = (queue: string, outcome: string) =>
      samplesOf(scrapes.worker, 'folder_sync_job_runs_total').find(
        (s) => s.labels['queue'] === queue && s.labels['outcome'] === outcome,
      )?.value ?? 0;
    expect(runs(QUEUES.events, 'completed')).toBeGreaterThan(0);
    expect(runs(QUEUES.reconcile, 'retried'), 'reconciles failed on the 503s').toBeGreaterThan(0);
    expect(runs(QUEUES.reconcile, 'completed')).toBeGreaterThan(0);
    for (const histogram of ['folder_sync_job_run_duration_seconds', 'folder_sync_job_wait_seconds']) {
      const count = samplesOf(scrapes.worker, `${histogram}_count`).find(
        (s) => s.labels['queue'] === QUEUES.reconcile,
      );
      expect(count?.value, histogram).toBeGreaterThan(0);
    }
  });
});
