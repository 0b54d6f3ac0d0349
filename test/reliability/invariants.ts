/**
 * The invariants every reliability scenario ends with (docs/reliability.md):
 *
 * 1. groups: for every account, the simulator's managed groups are what the independent model
 *    (./model.ts) computes from the accepted events — one group per folder that has members
 *    (and per live user folder), with the folder's name and exactly its members; an app folder
 *    left empty may keep an empty group; no group for a deleted user folder; no unmarked group;
 * 2. no duplicates: no two groups of an account carry the same marker (Yunxin:
 *    `{"managed_by":"yunxin-folder-sync","v":1,"folder":…}` in server_extension; Tencent: the
 *    folder's name, so a second group would need another name and count as a stray group), and
 *    no worker ever had to delete one ("deleted a duplicate managed group" never logged);
 * 3. no event lost: every accepted id was folded (its `seen:<id>` key exists), no job of the
 *    events or reconcile queue failed, nothing is left waiting — together with (1), every
 *    accepted event's effect is in the provider;
 * 4. no call carried more than 100 ids (`maxIdsInCall`, `callsOverIdLimit`);
 * 5. no more calls in any 1-second window than the configured rate (`peakPerSecond`), and —
 *    unless the scenario injects rate limits — not one rate-limit answer (416, 60007) from the
 *    simulator's bucket, which is set to the same rate.
 */

import { expect } from 'vitest';
import type { RedisClient } from '../../src/jobs/connection.js';
import type { PartitionedQueue } from '../../src/jobs/partitioned-queue.js';
import type { CallStats } from '../../src/simulators/kit/call-log.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import type { Keys } from '../../src/store/keys.js';
import type { GroupsView, SimGroup } from '../support/engine.js';
import { type Event, type Expected, expectedGroups, type ModelFolder, uniqueEvents } from './model.js';

export const MARKER_OWNER = 'yunxin-folder-sync';
export const ID_LIMIT = 100;
const DUPLICATE_DELETED = 'deleted a duplicate managed group';

export interface Subject {
  sim: SimulatorBase;
  /** the simulator's groups */
  view: GroupsView;
  /** a connection to the Redis the service uses */
  redis: RedisClient;
  keys: Keys;
  events: PartitionedQueue;
  reconcile: PartitionedQueue;
  /** every log output of the service so far (processes and in-process workers) */
  logs: () => string[];
}

export interface InvariantOptions {
  /** the provider's *_RATE_LIMIT of the run (the simulator's bucket is set to the same) */
  rate: number;
  /** the scenario injects rate-limit answers (faults), so they are expected */
  injectedRateLimits?: boolean;
  /**
   * The longest event-loop stall of the process the simulator runs in (see loopDelayMonitor):
   * arrivals during a stall are stamped when it ends, so the simulator's peak may exceed the
   * calls actually sent in a second by at most stall × rate / 1050 (the slot spacing).
   */
  loopDelayMs?: () => number;
}

/** The marker's folder key, or undefined when server_extension is not exactly a marker. */
export function parseMarker(serverExtension: string): string | undefined {
  try {
    const m = JSON.parse(serverExtension) as Record<string, unknown>;
    const keys = Object.keys(m).sort().join(',');
    if (keys !== 'folder,managed_by,v' || m['managed_by'] !== MARKER_OWNER || m['v'] !== 1) return undefined;
    return typeof m['folder'] === 'string' ? m['folder'] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder a group belongs to, or why none: Yunxin groups carry the marker in
 * server_extension; Tencent groups have no extension and are told by their name, so a group
 * whose name is no expected folder's belongs to none (and a second group of one folder would
 * need a second name, showing up the same way).
 */
function folderOf(
  provider: GroupsView['provider'],
  g: SimGroup,
  folders: ReadonlyMap<string, ModelFolder>,
): { key: string } | { problem: string } {
  if (provider === 'tencent') {
    for (const f of folders.values()) if (f.name === g.name) return { key: f.key };
    return { problem: `is no folder's name (Tencent groups are told by name)` };
  }
  const key = parseMarker(g.serverExtension ?? '');
  return key === undefined ? { problem: `has no marker (${g.serverExtension})` } : { key };
}

/**
 * A folder as Tencent holds it: teams and super teams are both groups there (`2|<GroupId>`),
 * so a super team's key `3|x` is `2|x`.
 */
function asTencentSees(folder: ModelFolder): ModelFolder {
  const members = [...new Set(folder.members.map((m) => (m.startsWith('3|') ? `2|${m.slice(2)}` : m)))];
  return { ...folder, members: members.sort() };
}

/** Invariants 1 and 2 (the simulator's state against the model): one line per violation. */
export function groupViolations(view: GroupsView, expected: Expected, suspects?: Set<string>): string[] {
  const out: string[] = [];
  const accounts = new Set([...expected.keys(), ...view.accounts()]);
  for (const account of accounts) {
    const folders: Map<string, ModelFolder> = expected.get(account) ?? new Map();
    const byMarker = new Map<string, Array<{ id: string; name: string; members: string[] }>>();
    for (const g of view.snapshot(account)) {
      const folder = folderOf(view.provider, g, folders);
      if ('problem' in folder) {
        out.push(`${account}: group #${g.groupId} "${g.name}" ${folder.problem}`);
        continue;
      }
      const members = [...g.members].sort();
      byMarker.set(folder.key, [
        ...(byMarker.get(folder.key) ?? []),
        { id: g.groupId, name: g.name, members },
      ]);
    }
    for (const [key, groups] of byMarker) {
      if (groups.length > 1) {
        out.push(
          `${account}: DUPLICATE ${groups.length} groups for ${key}: #${groups.map((g) => g.id).join(', #')}`,
        );
      }
      if (!folders.has(key))
        out.push(`${account}: group #${groups[0]!.id} for ${key}, a folder that should not exist`);
    }
    for (const model of folders.values()) {
      const folder = view.provider === 'tencent' ? asTencentSees(model) : model;
      const groups = byMarker.get(folder.key) ?? [];
      // Tencent cannot create a group without a conversation: an empty user folder may have none
      const mustExist = (folder.user && view.provider !== 'tencent') || folder.members.length > 0;
      if (groups.length === 0) {
        if (mustExist)
          out.push(`${account}: no group for ${folder.key} (${folder.members.length} members expected)`);
        continue;
      }
      if (!mustExist && folder.deleteWhenEmpty)
        out.push(`${account}: ${folder.key} is empty but its group remains`);
      const g = groups[0]!;
      if (g.name !== folder.name)
        out.push(`${account}: ${folder.key} is named "${g.name}", expected "${folder.name}"`);
      const want = new Set(folder.members);
      const have = new Set(g.members);
      const missing = folder.members.filter((m) => !have.has(m));
      const extra = g.members.filter((m) => !want.has(m));
      for (const m of [...missing, ...extra]) suspects?.add(`${account}|${m}`);
      if (missing.length || extra.length) {
        out.push(
          `${account}: ${folder.key} missing [${missing.slice(0, 5).join(' ')}${missing.length > 5 ? ` …+${missing.length - 5}` : ''}]` +
            ` extra [${extra.slice(0, 5).join(' ')}${extra.length > 5 ? ` …+${extra.length - 5}` : ''}]`,
        );
      }
    }
  }
  return out;
}

async function queueViolations(subject: Subject): Promise<string[]> {
  const out: string[] = [];
  for (const q of [...subject.events.queues, ...subject.reconcile.queues]) {
    const c = await q.getJobCounts('failed', 'waiting', 'delayed', 'active', 'prioritized');
    if (c['failed']) {
      const failed = await q.getFailed(0, 4);
      out.push(
        `${q.name}: ${c['failed']} failed job(s): ${failed.map((j) => `${j.id}: ${j.failedReason}`).join('; ')}`,
      );
    }
    const pending = (c['waiting'] ?? 0) + (c['delayed'] ?? 0) + (c['active'] ?? 0) + (c['prioritized'] ?? 0);
    if (pending > 0) out.push(`${q.name}: jobs left ${JSON.stringify(c)}`);
  }
  return out;
}

/** Invariant 3's first half: every accepted id was folded (its 24 h idempotency key exists). */
async function unfoldedEvents(subject: Subject, events: readonly Event[]): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < events.length; i += 1000) {
    const chunk = events.slice(i, i + 1000);
    // one EXISTS each, sent together (a Cluster refuses one pipeline over several nodes)
    const found = await Promise.all(
      chunk.map((e) => subject.redis.exists(subject.keys.seen(e['account'] as string, e['id'] as string))),
    );
    found.forEach((n, j) => {
      if (n !== 1) missing.push(chunk[j]!['id'] as string);
    });
  }
  return missing;
}

/**
 * The densest 1-second window of a list of times: its size and the gaps between its calls
 * (ms), to tell a burst (gaps near 0) from evenly spaced calls.
 */
export function densestSecond(at: readonly number[]): { calls: number; startedAt: number; gaps: number[] } {
  const times = [...at].sort((a, b) => a - b);
  let best = { calls: 0, from: 0 };
  let head = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[head]! <= times[i]! - 1000) head++;
    if (i - head + 1 > best.calls) best = { calls: i - head + 1, from: head };
  }
  const window = times.slice(best.from, best.from + best.calls);
  return {
    calls: best.calls,
    startedAt: window[0] ?? 0,
    gaps: window.slice(1).map((t, i) => t - window[i]!),
  };
}

/**
 * When each provider call left a worker, from the workers' debug lines (`yunxin call`, `tencent
 * call` and their `… call failed`: log time minus the call's duration).
 */
export function sentTimes(outputs: readonly string[]): number[] {
  const times: number[] = [];
  for (const output of outputs) {
    for (const line of output.split('\n')) {
      if (!line.includes('"msg":"yunxin call') && !line.includes('"msg":"tencent call')) continue;
      try {
        const l = JSON.parse(line) as { time: number; ms: number };
        times.push(l.time - l.ms);
      } catch {
        // a partial line
      }
    }
  }
  return times;
}

export function callViolations(stats: CallStats, opts: InvariantOptions, arrivalSlack = 0): string[] {
  const out: string[] = [];
  if (stats.maxIdsInCall > ID_LIMIT) out.push(`a call carried ${stats.maxIdsInCall} ids (limit ${ID_LIMIT})`);
  if (stats.callsOverIdLimit !== 0) out.push(`${stats.callsOverIdLimit} calls over ${ID_LIMIT} ids`);
  if (stats.peakPerSecond > opts.rate + arrivalSlack) {
    out.push(
      `peak ${stats.peakPerSecond} calls in one second at the simulator, above the rate limit ${opts.rate}` +
        (arrivalSlack ? ` (+${arrivalSlack} its own stalls can explain)` : ''),
    );
  }
  if (!opts.injectedRateLimits && stats.rateLimited > 0) {
    out.push(`${stats.rateLimited} calls answered rate-limited by the simulator's ${opts.rate}/s bucket`);
  }
  return out;
}

/** Calls the simulator's stamping can have moved into one second: stall × rate / slot window. */
export function arrivalSlackOf(opts: InvariantOptions): number {
  return Math.ceil(((opts.loopDelayMs?.() ?? 0) * opts.rate) / 1050);
}

export interface InvariantReport {
  violations: string[];
  stats: CallStats;
  /** the most calls the workers sent in any second (from their debug lines), if they logged them */
  sentPeakPerSecond: number | undefined;
  /** the simulator's arrival peak may exceed the rate by this much (its own stalls) */
  arrivalSlack: number;
  /** the longest stall of the simulator's event loop while the run was going on (ms) */
  loopDelayMs: number | undefined;
  accounts: number;
  events: number;
  groups: number;
}

/** Every invariant, once the service is idle. */
export async function checkInvariants(
  subject: Subject,
  published: readonly Event[],
  opts: InvariantOptions,
): Promise<InvariantReport> {
  const expected = expectedGroups(published);
  const stats = subject.sim.calls.snapshot();
  const duplicatesDeleted = subject
    .logs()
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes(DUPLICATE_DELETED));
  const unfolded = await unfoldedEvents(subject, uniqueEvents(published));
  const sent = sentTimes(subject.logs());
  const sentPeak = sent.length > 0 ? densestSecond(sent).calls : undefined;
  const slack = arrivalSlackOf(opts);
  const suspects = new Set<string>();
  const violations = [
    ...groupViolations(subject.view, expected, suspects),
    ...duplicatesDeleted.map((l) => `a worker deleted a duplicate group: ${l.slice(0, 300)}`),
    ...(unfolded.length
      ? [`${unfolded.length} accepted events never folded: ${unfolded.slice(0, 10).join(', ')}`]
      : []),
    ...(await queueViolations(subject)),
    ...callViolations(stats, opts, slack),
    ...(sentPeak !== undefined && sentPeak > opts.rate
      ? [`the workers sent ${sentPeak} calls in one second, above the rate limit ${opts.rate}`]
      : []),
  ];
  for (const id of [...suspects].slice(0, 5)) {
    // Yunxin's ids name the account, Tencent's do not (its calls carry From_Account instead)
    const wire = subject.view.provider === 'tencent' ? id.slice(id.indexOf('|') + 1) : id;
    const calls = subject.sim.calls.recentCalls().filter((c) => c.conversationIds?.includes(wire));
    const t0 = stats.firstCallAt ?? 0;
    violations.push(
      `calls that carried ${id}: ${calls.map((c) => `+${c.at - t0}ms ${c.endpoint} ${c.code}${c.failed ? ` failed=${c.failed}` : ''}`).join('; ') || 'none'}`,
    );
    const events = published.filter((e) => {
      const c = e['conversation'] as { type: number; target: string } | undefined;
      return c && id === `${e['account']}|${c.type}|${c.target}`;
    });
    const [account, ...rest] = id.split('|');
    const conv = rest.join('|');
    const ledger = await subject.redis.hgetall(subject.keys.ledger(account!));
    const facts = await subject.redis.hgetall(subject.keys.facts(account!));
    const fields = (hash: Record<string, string>, keep: (field: string) => boolean) =>
      Object.entries(hash)
        .filter(([f]) => keep(f))
        .map(([f, v]) => `${f}=${v}`)
        .join(' ');
    violations.push(
      `ledger of ${id}: ${fields(ledger, (f) => f.endsWith(`|${conv}`)) || 'no member entry'}; ` +
        `facts: ${fields(facts, (f) => f === conv || f.startsWith(`${conv}|`))}`,
    );
    violations.push(
      `events about ${id} (by at): ${events
        .sort((a, b) => (a['at'] as number) - (b['at'] as number))
        .map((e) => `${e['id']} ${e['type']}${e['tag'] ? `(${e['tag']})` : ''}`)
        .join('; ')}`,
    );
  }
  // where the densest second was, when a rate check failed
  if (stats.peakPerSecond > opts.rate + slack || (sentPeak ?? 0) > opts.rate) {
    const describe = (what: string, d: ReturnType<typeof densestSecond>) =>
      `${what}: the densest second (from ${new Date(d.startedAt).toISOString()}) had ${d.calls} calls, gaps ms: ${d.gaps.join(' ')}`;
    violations.push(
      describe('at the simulator', densestSecond(subject.sim.calls.recentCalls().map((c) => c.at))),
      describe('as sent by the workers', densestSecond(sent)),
    );
  }
  return {
    violations,
    stats,
    sentPeakPerSecond: sentPeak,
    arrivalSlack: slack,
    loopDelayMs: opts.loopDelayMs?.(),
    accounts: expected.size,
    events: uniqueEvents(published).length,
    groups: [...expected.keys()].reduce((n, a) => n + subject.view.snapshot(a).length, 0),
  };
}

/**
 * Waits (polling, with a deadline) until the simulator's groups match the model and both queues
 * are drained, then checks every invariant and fails the test with the full list of violations.
 */
export async function expectInvariants(
  subject: Subject,
  published: readonly Event[],
  opts: InvariantOptions & { timeoutMs: number },
): Promise<InvariantReport> {
  const expected = expectedGroups(published);
  const deadline = Date.now() + opts.timeoutMs;
  let last: string[] = [];
  for (;;) {
    last = groupViolations(subject.view, expected);
    if (last.length === 0) {
      const queues = await queueViolations(subject);
      if (queues.length === 0) {
        // settled: nothing left to run, and the groups are right
        last = groupViolations(subject.view, expected);
        if (last.length === 0) break;
      } else last = queues;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // the stalls that matter are those while calls were made: read them now, before the check's
  // own work (parsing every log line) stalls the loop
  const stalls = opts.loopDelayMs?.();
  const report = await checkInvariants(subject, published, {
    ...opts,
    ...(stalls === undefined ? {} : { loopDelayMs: () => stalls }),
  });
  if (report.violations.length > 0) {
    const shown = report.violations.slice(0, 40);
    const more = report.violations.length - shown.length;
    expect(
      shown.concat(more > 0 ? [`… and ${more} more`] : []),
      `invariants after waiting up to ${opts.timeoutMs} ms (calls: ${JSON.stringify(summary(report.stats))})`,
    ).toEqual([]);
  }
  return report;
}

export function summary(stats: CallStats): Record<string, number | undefined> {
  return {
    total: stats.total,
    peakPerSecond: stats.peakPerSecond,
    maxIdsInCall: stats.maxIdsInCall,
    callsOverIdLimit: stats.callsOverIdLimit,
    rateLimited: stats.rateLimited,
  };
}
