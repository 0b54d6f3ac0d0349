import { expect } from 'vitest';
import type { Config } from '../../src/config.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import type { Engine } from './engine.js';
import { type Spawned, spawnCli } from './processes.js';

/**
 * The environment of a `folder-sync worker` child process that works on the same Redis prefix,
 * simulator and rules as an engine started with `startEngine({ noWorkers: true })`.
 * LOCK_MS is short so a killed worker's job lock and account lease expire fast.
 */
export function workerEnv(
  config: Config,
  overrides: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  return {
    REDIS_URL: config.REDIS_URL,
    REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES.join(','),
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    PARTITIONS: String(config.PARTITIONS),
    FOLDER_RULES: config.FOLDER_RULES,
    PROVIDER: config.PROVIDER,
    PROVIDER_ENDPOINT: config.PROVIDER_ENDPOINT.join(','),
    PROVIDER_APP_ID: config.PROVIDER_APP_ID,
    PROVIDER_SECRET: config.PROVIDER_SECRET,
    PROVIDER_RATE_LIMIT: String(config.PROVIDER_RATE_LIMIT),
    PROVIDER_TIMEOUT_MS: String(config.PROVIDER_TIMEOUT_MS),
    TENCENT_ADMIN: config.TENCENT_ADMIN,
    DEBOUNCE_MS: String(config.DEBOUNCE_MS),
    RETRY_BASE_MS: String(config.RETRY_BASE_MS),
    RETRY_MAX_MS: String(config.RETRY_MAX_MS),
    RATE_LIMIT_BACKOFF_MS: String(config.RATE_LIMIT_BACKOFF_MS),
    RATE_LIMIT_BACKOFF_MAX_MS: String(config.RATE_LIMIT_BACKOFF_MAX_MS),
    LOCK_MS: '2000',
    LOG_LEVEL: 'debug',
    ...overrides,
  };
}

const alive = (w: Spawned) => w.child.exitCode === null && w.child.signalCode === null;

/** The last lines of each process output, for a failed test's report. */
export function printTails(outputs: readonly string[], lines = 40): void {
  for (const [i, output] of outputs.entries()) {
    const tail = output
      .split('\n')
      .slice(-lines)
      .map((line) => line.slice(0, 400));
    console.error(`--- process ${i} (last ${lines} lines) ---\n${tail.join('\n')}`);
  }
}

/** Worker processes of one test: started, killed, and always stopped in the end. */
export class WorkerProcesses {
  private readonly started: Spawned[] = [];

  /** Spawns `folder-sync worker` and resolves once it logged "workers started". */
  async start(env: NodeJS.ProcessEnv): Promise<Spawned> {
    const worker = spawnCli(['worker'], env);
    this.started.push(worker);
    await worker.waitFor(/workers started/, 30_000);
    return worker;
  }

  /** the output of every process started since the last stopAll, in start order */
  outputs(): string[] {
    return this.started.map((w) => w.output());
  }

  /** kill -9: no shutdown handler runs, locks and leases are left to expire. */
  async kill(worker: Spawned): Promise<void> {
    if (alive(worker)) worker.child.kill('SIGKILL');
    await worker.exited;
  }

  /** SIGTERM every process still running, SIGKILL what has not exited after `graceMs`. */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(
      this.started.splice(0).map(async (worker) => {
        if (!alive(worker)) return;
        worker.child.kill('SIGTERM');
        const fallback = setTimeout(() => {
          if (alive(worker)) worker.child.kill('SIGKILL');
        }, graceMs);
        await worker.exited;
        clearTimeout(fallback);
      }),
    );
  }
}

/** One JSON log line of a worker process. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** The complete JSON lines of a process's output (a last line still being written is skipped). */
export function logLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a partial line
    }
  }
  return lines;
}

export interface Reconciled {
  account: string;
  startedAt: number;
  finishedAt: number;
  calls: number;
  /** index of the process that logged it */
  proc: number;
}

/** Every `reconciled` line of the given processes (the interval the account's lease was held). */
export function reconciledLines(outputs: readonly string[]): Reconciled[] {
  return outputs.flatMap((output, proc) =>
    logLines(output)
      .filter((l) => l.msg === 'reconciled')
      .map((l) => ({
        account: l['account'] as string,
        startedAt: l['startedAt'] as number,
        finishedAt: l['finishedAt'] as number,
        calls: l['calls'] as number,
        proc,
      })),
  );
}

/** Pairs of reconciles of one account whose [startedAt, finishedAt] intervals overlap. */
export function overlappingReconciles(lines: readonly Reconciled[]): Array<[Reconciled, Reconciled]> {
  const byAccount = new Map<string, Reconciled[]>();
  for (const l of lines) byAccount.set(l.account, [...(byAccount.get(l.account) ?? []), l]);
  const overlaps: Array<[Reconciled, Reconciled]> = [];
  for (const list of byAccount.values()) {
    list.sort((a, b) => a.startedAt - b.startedAt || a.finishedAt - b.finishedAt);
    // compare with every earlier interval still open (not only the previous one)
    for (let i = 0; i < list.length; i++) {
      for (let j = 0; j < i; j++) {
        if (list[i]!.startedAt < list[j]!.finishedAt) overlaps.push([list[j]!, list[i]!]);
      }
    }
  }
  return overlaps;
}

/**
 * The simulator's groups of an account as {name → sorted members (conversation keys)}, plus the
 * names that more than one group carries (a duplicate would be hidden by the record).
 */
export function simGroups(
  engine: Pick<Engine<SimulatorBase>, 'snapshot'>,
  account: string,
): { groups: Record<string, string[]>; duplicates: string[]; ids: Record<string, string> } {
  const snapshot = engine.snapshot(account);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const g of snapshot) {
    if (seen.has(g.name)) duplicates.push(g.name);
    seen.add(g.name);
  }
  return {
    groups: Object.fromEntries(snapshot.map((g) => [g.name, [...g.members].sort()])),
    duplicates,
    ids: Object.fromEntries(snapshot.map((g) => [g.name, g.groupId])),
  };
}

/**
 * Waits until every account's groups are the expected folders' (those with members), with no
 * duplicate group: what the end-to-end tests of worker processes wait for.
 */
export function convergedTo(
  engine: Pick<Engine<SimulatorBase>, 'snapshot' | 'eventually'>,
  expected: ReadonlyMap<string, Record<string, string[]>>,
  timeoutMs = 60_000,
): Promise<void> {
  return engine.eventually(() => {
    for (const [account, folders] of expected) {
      const { groups, duplicates } = simGroups(engine, account);
      expect(duplicates, account).toEqual([]);
      expect(groups, account).toEqual(
        Object.fromEntries(Object.entries(folders).filter(([, m]) => m.length > 0)),
      );
    }
  }, timeoutMs);
}
