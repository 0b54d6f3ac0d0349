import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import type { Keys } from '../store/keys.js';

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
    await this.redis.fsBeat(this.keys.alive(this.id), this.keys.workers, this.id, this.lockMs, Date.now());
  }

  /** Leaves the registry: called after this process released what it held. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.multi().del(this.keys.alive(this.id)).zrem(this.keys.workers, this.id).exec();
  }
}

/** The registered workers: those beating, and those whose heartbeat is gone (id → last beat, ms, their clock). */
export async function readWorkers(
  redis: RedisClient,
  keys: Keys,
): Promise<{ live: string[]; dead: Map<string, number> }> {
  const entries = await redis.zrange(keys.workers, '0', '-1', 'WITHSCORES');
  const ids = entries.filter((_, i) => i % 2 === 0);
  if (ids.length === 0) return { live: [], dead: new Map() };
  // one slot: every key here is under the app-wide tag
  const beats = await redis.mget(...ids.map((id) => keys.alive(id)));
  return {
    live: ids.filter((_, i) => beats[i] !== null),
    dead: new Map(
      ids.flatMap((id, i) => (beats[i] === null ? [[id, Number(entries[2 * i + 1])] as const] : [])),
    ),
  };
}
