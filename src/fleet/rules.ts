import { unwatchFile, watchFile } from 'node:fs';
import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import type { ProviderProfile } from '../provider/types.js';
import { canonicalJson } from '../rules/canonical-json.js';
import { loadRulesFile, parseRulesText } from '../rules/load.js';
import type { RulesFile } from '../rules/schema.js';
import type { AccountStore } from '../store/account-store.js';
import type { Keys } from '../store/keys.js';
import { decideRules, type RulesTrigger } from './rules-decision.js';
import { type DeletionEstimate, plannedDeletions, sumEstimates } from './rules-guard.js';

/** Rules as the fleet stores them. */
export interface StoredRules {
  rules: RulesFile;
  /** 0: unversioned */
  version: number;
  hash: string;
  /** +1 on every install, A→B→A included: each one re-reconciles the fleet once */
  generation: number;
  installedAt: number;
  /** the generation whose fleet-wide re-reconcile has finished */
  walked: number;
}

/** A change the deletion guard holds until an operator confirms it. */
export interface HeldRules {
  rules: RulesFile;
  version: number;
  hash: string;
  heldAt: number;
  estimate: DeletionEstimate;
}

/** Accounts the deletion guard reads to estimate a change. */
export const GUARD_SAMPLE = 200;

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

function parseBody(body: string | undefined): RulesFile | undefined {
  if (body === undefined) return undefined;
  const parsed = parseRulesText(body, 'json');
  return parsed.ok ? parsed.rules : undefined;
}

/** The fleet's rules from their hash, or undefined when missing or unreadable. */
export function parseStoredRules(h: Readonly<Record<string, string>>): StoredRules | undefined {
  const rules = parseBody(h['body']);
  const generation = num(h['generation']);
  if (!rules || generation === undefined || !h['hash']) return undefined;
  return {
    rules,
    version: num(h['version']) ?? 0,
    hash: h['hash'],
    generation,
    installedAt: num(h['installedAt']) ?? 0,
    walked: num(h['walked']) ?? 0,
  };
}

export function parseHeldRules(h: Readonly<Record<string, string>>): HeldRules | undefined {
  const rules = parseBody(h['body']);
  if (!rules || !h['hash'] || !h['estimate']) return undefined;
  return {
    rules,
    version: num(h['version']) ?? 0,
    hash: h['hash'],
    heldAt: num(h['heldAt']) ?? 0,
    estimate: JSON.parse(h['estimate']) as DeletionEstimate,
  };
}

export async function readFleetRules(redis: RedisClient, keys: Keys) {
  const [stored, held] = await Promise.all([redis.hgetall(keys.rules), redis.hgetall(keys.rulesHeld)]);
  return { stored: parseStoredRules(stored), held: parseHeldRules(held) };
}

/**
 * Installs rules (compare-and-set on the generation the caller read). Returns the new
 * generation, or 0 when another process changed the fleet's rules first.
 */
export async function installRules(
  redis: RedisClient,
  keys: Keys,
  rules: RulesFile,
  hash: string,
  expectedGeneration: number | undefined,
  now: number,
): Promise<number> {
  return redis.fsInstallRules(
    keys.rules,
    keys.rulesHeld,
    expectedGeneration === undefined ? '' : String(expectedGeneration),
    rules.version ?? 0,
    hash,
    canonicalJson(rules),
    now,
  );
}

/** The fleet-wide re-reconcile of a generation ran to the end (never moves backwards). */
export async function markWalked(redis: RedisClient, keys: Keys, generation: number): Promise<void> {
  const walked = num((await redis.hget(keys.rules, 'walked')) ?? undefined) ?? 0;
  if (generation > walked) await redis.hset(keys.rules, 'walked', generation);
}

export interface FleetRulesOptions {
  path: string;
  redis: RedisClient;
  keys: Keys;
  store: AccountStore;
  profile: ProviderProfile;
  log: Logger;
  /** RULES_MAX_DELETE_SHARE: a change deleting more of the sampled app-folder groups is held */
  maxDeleteShare: number;
  /** queues the fleet-wide re-reconcile of an installed generation (idempotent by job id) */
  enqueueWalk: (rules: StoredRules) => Promise<void>;
  onHeld?: (held: HeldRules | undefined) => void;
  pollMs?: number;
  now?: () => number;
}

/** Log lines repeated by the periodic check are said at most this often. */
const REMIND_MS = 60_000;

/**
 * One process's link to the fleet's rules. Reconciles run under `at(generation)`: the fleet's
 * rules at the generation the account's read saw, fetched from Redis when this process has not
 * seen it yet. The process's own file only proposes changes (see rules-decision.ts).
 */
export class FleetRules {
  private file!: { rules: RulesFile; hash: string };
  private stored: StoredRules | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly said = new Map<string, number>();
  private readonly now: () => number;
  private readonly onFileChange = () => void this.reloadFile();

  constructor(private readonly opts: FleetRulesOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Reads the file (throws RulesFileError when it is invalid), proposes it, starts watching. */
  async start(): Promise<void> {
    this.file = await loadRulesFile(this.opts.path);
    await this.sync('start');
    const pollMs = this.opts.pollMs ?? 2_000;
    watchFile(this.opts.path, { interval: pollMs }, this.onFileChange);
    this.timer = setInterval(() => {
      this.sync('poll').catch((error: unknown) =>
        this.remind('poll-failed', () => this.opts.log.warn({ err: error }, 'fleet rules check failed')),
      );
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    unwatchFile(this.opts.path, this.onFileChange);
    if (this.timer) clearInterval(this.timer);
  }

  /** The fleet's rules as last seen by this process. */
  current(): StoredRules | undefined {
    return this.stored;
  }

  /** The rules a reconcile runs under, for the generation its read of the account saw. */
  async at(generation: number | undefined): Promise<{ folders: RulesFile['folders']; generation: number }> {
    if (generation === undefined || this.stored?.generation !== generation) {
      await this.refresh();
      if (!this.stored) await this.sync('missing');
    }
    const stored = this.stored;
    if (!stored) throw new Error('no fleet rules in RedisClient and none could be installed');
    return { folders: stored.rules.folders, generation: stored.generation };
  }

  /** Compares this process's file with the fleet's rules and acts on the decision. */
  async sync(trigger: RulesTrigger): Promise<void> {
    const { stored, held } = await readFleetRules(this.opts.redis, this.opts.keys);
    this.stored = stored;
    this.opts.onHeld?.(held);
    const file = { version: this.file.rules.version ?? 0, hash: this.file.hash };
    const decision = decideRules(stored, file, trigger);
    if (decision === 'install') await this.propose(stored, held, trigger);
    else if (decision === 'older' && stored)
      this.remind(`older:${file.hash}:${stored.hash}`, () =>
        this.opts.log.warn(
          { fileVersion: file.version, fleetVersion: stored.version, fleetGeneration: stored.generation },
          'this process has an older rules file than the fleet: running the fleet rules',
        ),
      );
    else if (decision === 'conflict' && stored)
      this.remind(`conflict:${file.hash}:${stored.hash}`, () =>
        this.opts.log.error(
          { version: file.version, fileHash: file.hash, fleetHash: stored.hash },
          'this rules file has the fleet version but other content: bump its version to roll it out; running the fleet rules',
        ),
      );
    if (this.stored && this.stored.generation > this.stored.walked) await this.opts.enqueueWalk(this.stored);
  }

  private async refresh(): Promise<void> {
    this.stored = (await readFleetRules(this.opts.redis, this.opts.keys)).stored;
  }

  private async reloadFile(): Promise<void> {
    try {
      const next = await loadRulesFile(this.opts.path);
      if (next.hash === this.file.hash) return;
      this.file = next;
      await this.sync('edit');
    } catch (error) {
      this.opts.log.error({ err: error }, 'rules file changed but is invalid; proposing nothing');
    }
  }

  /** Installs this process's rules unless the deletion guard holds them. */
  private async propose(stored: StoredRules | undefined, held: HeldRules | undefined, trigger: RulesTrigger) {
    const { redis, keys, log } = this.opts;
    const { rules, hash } = this.file;
    if (stored && trigger !== 'missing') {
      if (held?.hash === hash) {
        this.remindHeld(held);
        return;
      }
      const estimate = await this.estimate(rules);
      if (estimate.share > this.opts.maxDeleteShare) {
        await this.hold(estimate);
        return;
      }
    }
    const generation = await installRules(redis, keys, rules, hash, stored?.generation, this.now());
    if (generation === 0) return; // another process changed the fleet's rules first: the next check decides again
    await this.refresh();
    log.info(
      { generation, version: rules.version ?? 0, hash, previous: stored?.hash },
      'fleet rules installed: reconciling every known account once',
    );
    if (this.stored) await this.opts.enqueueWalk(this.stored);
  }

  private async estimate(rules: RulesFile): Promise<DeletionEstimate> {
    const { redis, keys, store, profile } = this.opts;
    // a share of the sample from every partition (accounts are spread evenly by their hash)
    const perPartition = Math.ceil(GUARD_SAMPLE / keys.partitions);
    const accounts = new Set<string>();
    for (const part of keys.parts) {
      let cursor = '0';
      let taken = 0;
      do {
        const [next, batch] = await redis.sscan(part.accounts, cursor, 'COUNT', perPartition);
        cursor = next;
        for (const a of batch)
          if (taken < perPartition && accounts.size < GUARD_SAMPLE && !accounts.has(a)) {
            accounts.add(a);
            taken++;
          }
      } while (cursor !== '0' && taken < perPartition && accounts.size < GUARD_SAMPLE);
    }
    const parts = [];
    for (const account of accounts)
      parts.push(plannedDeletions(await store.load(account), rules.folders, profile, this.now()));
    return sumEstimates(parts);
  }

  private async hold(estimate: DeletionEstimate): Promise<void> {
    const { redis, keys } = this.opts;
    const { rules, hash } = this.file;
    const held: HeldRules = { rules, version: rules.version ?? 0, hash, heldAt: this.now(), estimate };
    await redis.hset(keys.rulesHeld, {
      body: canonicalJson(rules),
      version: String(held.version),
      hash,
      heldAt: String(held.heldAt),
      estimate: JSON.stringify(estimate),
    });
    this.opts.onHeld?.(held);
    this.remindHeld(held);
  }

  private remindHeld(held: HeldRules): void {
    this.remind(`held:${held.hash}`, () =>
      this.opts.log.warn(
        {
          version: held.version,
          hash: held.hash,
          deleteShare: Number(held.estimate.share.toFixed(3)),
          maxDeleteShare: this.opts.maxDeleteShare,
          sampledAccounts: held.estimate.sampled,
        },
        `rules change held: it would delete ${held.estimate.deletes} of ${held.estimate.managed} sampled app-folder groups; confirm with \`folder-sync rules confirm ${held.version || held.hash.slice(0, 12)}\``,
      ),
    );
  }

  private remind(key: string, say: () => void): void {
    const last = this.said.get(key);
    if (last !== undefined && this.now() - last < REMIND_MS) return;
    this.said.set(key, this.now());
    say();
  }
}
