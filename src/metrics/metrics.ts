import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HeldRules } from '../fleet/rules.js';
import { livenessReport } from '../fleet/takeover.js';
import type { RedisClient } from '../jobs/connection.js';
import { QUEUES } from '../jobs/queues.js';
import { CALL_OUTCOMES, type CallAnswer } from '../provider/errors.js';
import { TIMEOUT_BUDGET } from '../provider/latency-budget.js';
import type { RepairResult } from '../reconcile/session.js';
import type { Keys } from '../store/keys.js';
import type { JobRun, WorkerObserver } from '../workers/observer.js';
import { JOB_STATES, QueueCounts } from './queue-counts.js';

/** How old a read of the queues' job counts may be when a scrape asks (see QueueCounts). */
const QUEUE_COUNTS_MAX_AGE_MS = 10_000;

/**
 * Every metric the product exposes, in one registry per process (so tests can build several).
 * Names: folder_sync_*, and the default process_* and nodejs_* metrics. Queue depths come from Redis
 * (at most one read per QUEUE_COUNTS_MAX_AGE_MS); job runs are counted by the workers of this process.
 */
export class Metrics implements WorkerObserver {
  readonly registry = new Registry();
  private readonly events = new Counter({
    name: 'folder_sync_events_total',
    help: 'Events offered for publishing, by type and outcome (accepted or refused)',
    labelNames: ['type', 'outcome'],
    registers: [this.registry],
  });
  private readonly folded = new Counter({
    name: 'folder_sync_events_folded_total',
    help: 'Events folded into facts by the workers: changed, duplicate (id seen), stale (older than the facts), invalid (skipped: the job did not come from the publisher), over_limit (refused: the account is full)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly reconciles = new Counter({
    name: 'folder_sync_reconciles_total',
    help: 'Reconciles by outcome (done, busy = another worker held the account, error = will retry)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly reconcileSeconds = new Histogram({
    name: 'folder_sync_reconcile_duration_seconds',
    help: 'Duration of a reconcile, including waiting for the shared rate limit',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly calls = new Counter({
    name: 'folder_sync_provider_calls_total',
    help: `Provider API calls by endpoint, outcome (${CALL_OUTCOMES.join(', ')}) and the provider's code (Yunxin 200, Tencent 0 on success; empty when the transport failed)`,
    labelNames: ['endpoint', 'outcome', 'code'],
    registers: [this.registry],
  });
  private readonly callSeconds = new Histogram({
    name: 'folder_sync_provider_call_duration_seconds',
    help: 'Provider API call latency',
    labelNames: ['endpoint'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly timeoutSeconds = new Gauge({
    name: 'folder_sync_provider_timeout_seconds',
    help: `How long the next call of each endpoint waits for the provider's answer: ${TIMEOUT_BUDGET.k} × the p99 of its recent answers, between ${TIMEOUT_BUDGET.floorMs / 1000} s and the configured timeout (the configured timeout until ${TIMEOUT_BUDGET.minSamples} answers; doubled after a timeout until answers come in time)`,
    labelNames: ['endpoint'],
    registers: [this.registry],
  });
  private readonly pauses = new Counter({
    name: 'folder_sync_rate_limit_pauses_total',
    help: 'App-wide pauses after a 416 from the provider',
    registers: [this.registry],
  });
  private readonly pauseSeconds = new Counter({
    name: 'folder_sync_rate_limit_pause_seconds_total',
    help: 'Total length of the app-wide pauses started by this process',
    registers: [this.registry],
  });
  private readonly items = new Counter({
    name: 'folder_sync_items_total',
    help: 'Conversations the provider refused in failed_list: retried (transient) or rejected (permanent)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly dataLosses = new Counter({
    name: 'folder_sync_redis_data_loss_total',
    help: 'Times this process found that RedisClient lost data (the deployment sentinel gone or changed): accounts are re-adopted from the provider',
    registers: [this.registry],
  });
  private readonly firstContacts = new Counter({
    name: 'folder_sync_first_contacts_total',
    help: 'Accounts whose groups were read back because their ledger was not from this deployment epoch (new accounts, or after RedisClient lost data)',
    registers: [this.registry],
  });
  private readonly adopted = new Counter({
    name: 'folder_sync_groups_adopted_total',
    help: 'Managed groups found at first contact and adopted instead of created (many after a fresh start mean RedisClient lost data)',
    registers: [this.registry],
  });
  private readonly driftFoundTotal = new Counter({
    name: 'folder_sync_drift_found_total',
    help: 'Differences a read-back (verification, resync) found between a trusted ledger and the provider, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly driftRepairedTotal = new Counter({
    name: 'folder_sync_drift_repaired_total',
    help: 'Drift found by a read-back whose reconcile then ran to the end, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly corrupt = new Counter({
    name: 'folder_sync_corrupt_records_total',
    help: 'Stored records that did not decode: dropped (a ledger quarantined and rebuilt) or skipped',
    registers: [this.registry],
  });
  private readonly rulesHeldGauge = new Gauge({
    name: 'folder_sync_rules_change_held',
    help: 'A rules change the deletion guard holds until `folder-sync rules confirm` (1), by its version; 0 when none',
    labelNames: ['version'],
    registers: [this.registry],
  });
  private readonly jobRuns = new Counter({
    name: 'folder_sync_job_runs_total',
    help: 'Job runs that ended in this process, by queue and outcome: completed, retried (failed, will run again after backoff), failed (failed its last attempt: kept in the failed list)',
    labelNames: ['queue', 'outcome'],
    registers: [this.registry],
  });
  private readonly jobRunSeconds = new Histogram({
    name: 'folder_sync_job_run_duration_seconds',
    help: 'How long a job run took, by queue (each run, retried ones too)',
    labelNames: ['queue'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly jobWaitSeconds = new Histogram({
    name: 'folder_sync_job_wait_seconds',
    help: "From a job's adding to the start of its last run, by queue, once it completed or failed for good: waiting, debounce delay, and earlier runs and their backoff",
    labelNames: ['queue'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  private readonly eventsJobsFailed = new Counter({
    name: 'folder_sync_events_jobs_failed_total',
    help: 'Events jobs that failed their last attempt (kept in the failed list: retry them from the dashboard)',
    registers: [this.registry],
  });

  private readonly misconfigured = new Gauge({
    name: 'folder_sync_provider_misconfigured',
    help: 'The provider answers that the app is misconfigured (credentials, SDKAppID, admin account): 1 with the code until a call succeeds',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly createdConversations = new Counter({
    name: 'folder_sync_conversations_created_total',
    help: 'Conversations created so that they could be grouped: the provider refused them as missing (Yunxin 110404)',
    registers: [this.registry],
  });
  private readonly parkedTotal = new Counter({
    name: 'folder_sync_accounts_parked_total',
    help: 'Accounts whose reconcile this process gave up: it kept failing for a reason retries cannot fix (see `folder-sync status`)',
    registers: [this.registry],
  });

  constructor(queues: readonly Queue[] = [], opts: { defaultMetrics?: boolean } = {}) {
    // unprefixed (process_cpu_seconds_total, nodejs_eventloop_lag_seconds…): the names standard
    // Node.js dashboards and alerts query
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    if (queues.length) this.watchQueues(queues);
  }

  /** Adds the queue-depth gauges (read from Redis when a scrape asks). Call once. */
  watchQueues(queues: readonly Queue[]): void {
    const counts = new QueueCounts(queues, QUEUE_COUNTS_MAX_AGE_MS);
    new Gauge({
      name: 'folder_sync_queue_jobs',
      help: `Jobs per queue (summed over its partitions) and state, read from Redis when scraped (one read serves ${QUEUE_COUNTS_MAX_AGE_MS / 1000} s of scrapes)`,
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const [queue, sum] of await counts.read())
          for (const state of JOB_STATES) this.set({ queue, state }, sum[state]);
      },
    });
    if (queues.some((q) => q.name === QUEUES.reconcile)) {
      new Gauge({
        name: 'folder_sync_accounts_out_of_sync',
        help: 'Accounts with a reconcile queued or running (one job per account)',
        registers: [this.registry],
        async collect() {
          const c = (await counts.read()).get(QUEUES.reconcile)!;
          this.set(c.waiting + c.delayed + c.active + c.prioritized);
        },
      });
    }
  }

  eventOffered(type: string, outcome: 'accepted' | 'refused', n = 1): void {
    this.events.inc({ type, outcome }, n);
  }

  eventsFolded(r: {
    changed: number;
    duplicates: number;
    stale: number;
    invalid: number;
    overLimit: number;
  }): void {
    this.folded.inc({ outcome: 'changed' }, r.changed);
    this.folded.inc({ outcome: 'duplicate' }, r.duplicates);
    this.folded.inc({ outcome: 'stale' }, r.stale);
    this.folded.inc({ outcome: 'invalid' }, r.invalid);
    this.folded.inc({ outcome: 'over_limit' }, r.overLimit);
  }

  reconciled(_account: string, r: { outcome: 'done' | 'busy' | 'error'; seconds: number }): void {
    this.reconciles.inc({ outcome: r.outcome });
    if (r.outcome !== 'busy') this.reconcileSeconds.observe(r.seconds);
  }

  itemsFailed(c: { retried: number; rejected: number }): void {
    if (c.retried) this.items.inc({ outcome: 'retried' }, c.retried);
    if (c.rejected) this.items.inc({ outcome: 'rejected' }, c.rejected);
  }

  rateLimitPause(ms: number): void {
    this.pauses.inc();
    this.pauseSeconds.inc(ms / 1000);
  }

  dataLoss(): void {
    this.dataLosses.inc();
  }

  firstContact(_account: string, adoptedGroups: number): void {
    this.firstContacts.inc();
    if (adoptedGroups) this.adopted.inc(adoptedGroups);
  }

  driftFound(drift: RepairResult): void {
    for (const [kind, n] of Object.entries(drift)) if (n) this.driftFoundTotal.inc({ kind }, n);
  }

  driftRepaired(drift: RepairResult): void {
    for (const [kind, n] of Object.entries(drift)) if (n) this.driftRepairedTotal.inc({ kind }, n);
  }

  corruptRecords(count: number): void {
    this.corrupt.inc(count);
  }

  rulesHeld(held: HeldRules | undefined): void {
    this.rulesHeldGauge.reset();
    if (held) this.rulesHeldGauge.set({ version: String(held.version || held.hash.slice(0, 12)) }, 1);
  }

  jobRun(queue: string, run: JobRun): void {
    this.jobRuns.inc({ queue, outcome: run.outcome });
    this.jobRunSeconds.observe({ queue }, run.seconds);
    if (run.waitSeconds !== undefined) this.jobWaitSeconds.observe({ queue }, run.waitSeconds);
  }

  eventsJobFailed(): void {
    this.eventsJobsFailed.inc();
  }

  providerMisconfigured(error: { code: number } | undefined): void {
    this.misconfigured.reset();
    if (error) this.misconfigured.set({ code: String(error.code) }, 1);
  }

  conversationsCreated(count: number): void {
    this.createdConversations.inc(count);
  }

  accountParked(): void {
    this.parkedTotal.inc();
  }

  /** Adds the gauge of parked accounts (read from Redis at scrape time). Call once. */
  watchParked(redis: RedisClient, keys: Keys): void {
    new Gauge({
      name: 'folder_sync_accounts_parked',
      help: 'Accounts parked now: their reconcile is given up until an event, a resync or a rules change asks again',
      registers: [this.registry],
      async collect() {
        const counts = await Promise.all(keys.parts.map((part) => redis.hlen(part.parked)));
        this.set(counts.reduce((a, b) => a + b, 0));
      },
    });
  }

  /**
   * Adds the worker-liveness gauges (read from Redis when scraped; one read per scrape): workers
   * beating or stopped, and accounts a stopped worker still holds with how long they have waited.
   * Call once.
   */
  watchWorkers(redis: RedisClient, keys: Keys, lockMs: number): void {
    let report: ReturnType<typeof livenessReport> | undefined;
    // the three gauges of one scrape share a read
    const read = () => {
      report ??= livenessReport(redis, keys, lockMs).finally(() =>
        setTimeout(() => (report = undefined), 500).unref(),
      );
      return report;
    };
    new Gauge({
      name: 'folder_sync_workers',
      help: 'Worker processes by heartbeat: beating, or stopped (no beat for LOCK_MS; what they held is taken over)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const r = await read();
        this.set({ state: 'beating' }, r.beating);
        this.set({ state: 'stopped' }, r.stopped.length);
      },
    });
    new Gauge({
      name: 'folder_sync_accounts_waiting_for_dead_worker',
      help: 'Accounts whose lease a worker that stopped beating still holds (a live worker takes them over within a heartbeat)',
      registers: [this.registry],
      async collect() {
        this.set((await read()).accountsWaiting);
      },
    });
    new Gauge({
      name: 'folder_sync_dead_worker_wait_seconds',
      help: 'How long the account that has waited longest for a dead worker has waited (0: none waits)',
      registers: [this.registry],
      async collect() {
        this.set((await read()).longestWaitSeconds);
      },
    });
  }

  providerCall(endpoint: string, answer: CallAnswer, seconds: number): void {
    this.calls.inc({
      endpoint,
      outcome: answer.outcome,
      code: answer.code === undefined ? '' : String(answer.code),
    });
    this.callSeconds.observe({ endpoint }, seconds);
  }

  providerTimeout(endpoint: string, seconds: number): void {
    this.timeoutSeconds.set({ endpoint }, seconds);
  }
}
