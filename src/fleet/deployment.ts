import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import type { Keys } from '../store/keys.js';
import { type DeploymentRecord, parseDeployment } from './sentinel.js';

/**
 * This process was configured with a partition count other than the deployment's, or the
 * deployment still has the single-slot layout: starting would hash accounts elsewhere than the
 * rest of the fleet (two reconciles of one account at once). Refused at start (exit 2).
 */
export class LayoutMismatchError extends Error {
  override readonly name = 'LayoutMismatchError';
}

/** Refuses (LayoutMismatchError) a process whose partition count is not the deployment's. */
export function assertLayout(record: DeploymentRecord | undefined, partitions: number): void {
  if (!record) return;
  if (record.partitions === undefined) throw new LayoutMismatchError(SINGLE_SLOT);
  if (record.partitions !== partitions) {
    throw new LayoutMismatchError(
      `PARTITIONS is ${partitions} but this deployment hashes accounts into ${record.partitions} partitions (fixed when it was created): set PARTITIONS=${record.partitions} (docs/partitions.md)`,
    );
  }
}

const SINGLE_SLOT =
  'this deployment keeps every account in one Redis slot (the layout before 0.3): move it to the partitioned layout with `folder-sync migrate-layout` first (docs/partitions.md)';

/**
 * Refuses (LayoutMismatchError) a process whose configuration hashes accounts elsewhere than the
 * deployment, or a deployment of the single-slot layout (one from before the sentinel, too).
 */
export async function checkLayout(redis: RedisClient, keys: Keys): Promise<void> {
  const record = parseDeployment(await redis.get(keys.deployment));
  if (!record && (await redis.scard(keys.singleSlotAccounts)) > 0) throw new LayoutMismatchError(SINGLE_SLOT);
  assertLayout(record, keys.partitions);
}

export interface DeploymentOptions {
  redis: RedisClient;
  keys: Keys;
  log: Logger;
  now?: () => number;
  /** told once per detection by this process */
  onDataLoss?: (reason: string) => void;
}

/**
 * One process's view of the sentinel. `check()` runs at start and periodically, and whenever an
 * account's read saw a sentinel other than the one this process knows.
 */
export class Deployment {
  private known: DeploymentRecord | undefined;
  private checking: Promise<DeploymentRecord> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: DeploymentOptions) {
    this.now = opts.now ?? Date.now;
  }

  current(): DeploymentRecord | undefined {
    return this.known;
  }

  /** The epoch a ledger is trusted under, given the sentinel text an account's read saw. */
  async epoch(seen: string | null): Promise<string> {
    const record = parseDeployment(seen);
    if (record && record.epoch === this.known?.epoch) return record.epoch;
    return (await this.check()).epoch;
  }

  /** Reads the sentinel; writes it when missing, and says loudly when that means data loss. */
  check(): Promise<DeploymentRecord> {
    this.checking ??= this.read().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async read(): Promise<DeploymentRecord> {
    const { redis, keys } = this.opts;
    const stored = parseDeployment(await redis.get(keys.deployment));
    if (stored) {
      if (this.known && stored.epoch !== this.known.epoch) {
        this.dataLoss(
          `the deployment sentinel changed (epoch ${this.known.epoch} → ${stored.epoch})`,
          stored,
        );
      }
      this.known = stored;
      return stored;
    }
    const reason = await this.evidenceOfEarlierLife();
    const record: DeploymentRecord = {
      epoch: randomBytes(8).toString('hex'),
      createdAt: this.now(),
      partitions: keys.partitions,
      ...(reason ? { dataLoss: { at: this.now(), reason } } : {}),
    };
    // NX: of processes racing here, one writes; all go on with what is stored
    await redis.set(keys.deployment, JSON.stringify(record), 'NX');
    const winner = parseDeployment(await redis.get(keys.deployment)) ?? record;
    if (reason) this.dataLoss(reason, winner);
    this.known = winner;
    return winner;
  }

  /** Why a missing sentinel means data loss, or undefined when this looks like a first start. */
  private async evidenceOfEarlierLife(): Promise<string | undefined> {
    if (this.known) return `the deployment sentinel (epoch ${this.known.epoch}) is gone`;
    const { redis, keys } = this.opts;
    const [counts, rules] = await Promise.all([
      Promise.all(keys.parts.map((part) => redis.scard(part.accounts))),
      redis.exists(keys.rules),
    ]);
    const accounts = counts.reduce((a, b) => a + b, 0);
    if (accounts > 0) return `no deployment sentinel, but ${accounts} accounts are known`;
    if (rules > 0) return 'no deployment sentinel, but the fleet rules are stored';
    return undefined;
  }

  private dataLoss(reason: string, record: DeploymentRecord): void {
    this.opts.log.error(
      { reason, epoch: record.epoch },
      'Redis lost data: every account is re-adopted from the provider (its groups listed) before anything is created',
    );
    this.opts.onDataLoss?.(reason);
  }
}
