import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import type { Keys } from '../store/keys.js';
import { withScripts } from '../store/scripts.js';

/**
 * How fast a dead worker is noticed, all from LOCK_MS: a worker beats three times per LOCK_MS
 * and counts as dead once it has not beaten for LOCK_MS. Its BullMQ job locks last twice as
 * long, a backstop for jobs it held without a lease (folding events, waiting for a backlog).
 */
export function livenessTiming(lockMs: number) {
  return {
    ttlMs: lockMs,
    beatMs: Math.max(50, Math.floor(lockMs / 3)),
    jobLockMs: 2 * lockMs,
    stalledCheckMs: Math.max(100, Math.floor(lockMs / 2)),
  };
}

/** `<host>-<pid>-<random>`: readable in logs, unique, and free of the `~` and `|` lease records use. */
export function newWorkerId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 40);
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * A worker process's heartbeat: `alive:<id>` lives LOCK_MS and is renewed three times as often,
 * and the registry `workers` lists it until it leaves. A process whose event loop stalls past
 * LOCK_MS counts as dead too: what it held is taken over, and its own writes then fail the lease
 * check (every ledger write is fenced), so it loses its accounts safely.
 */
export class Heartbeat {
  readonly id = newWorkerId();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly lockMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((error: unknown) => this.log.warn({ err: error }, 'heartbeat failed'));
    }, livenessTiming(this.lockMs).beatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.redis.fsBeat(this.keys.alive(this.id), this.keys.workers, this.id, this.lockMs);
  }

  /** Leaves the registry: called after this process released what it held. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.multi().del(this.keys.alive(this.id)).zrem(this.keys.workers, this.id).exec();
  }
}

/**
 * Registered workers whose heartbeat is gone (id → last beat), and Redis's clock now (ms). Only
 * those silent for LOCK_MS by the registry are checked against their `alive` key: one small
 * reply per beat whatever the size of the fleet.
 */
export async function deadWorkers(
  redis: RedisClient,
  keys: Keys,
  lockMs: number,
): Promise<{ now: number; dead: Map<string, number> }> {
  // any connection: the HTTP server's has no scripts of its own
  const [now, ...silent] = await withScripts(redis).fsSilentWorkers(keys.workers, lockMs);
  const ids = silent.filter((_, i) => i % 2 === 0);
  if (ids.length === 0) return { now: Number(now), dead: new Map() };
  // one slot: every key here is under the app-wide tag
  const beats = await redis.mget(...ids.map((id) => keys.alive(id)));
  const dead = ids.flatMap((id, i) => (beats[i] === null ? [[id, Number(silent[2 * i + 1])] as const] : []));
  return { now: Number(now), dead: new Map(dead) };
}
