/** Worker liveness against a real Redis: who counts as dead, and what a takeover frees. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadWorkers, Heartbeat } from '../../src/fleet/liveness.js';
import { livenessReport, takeOverDeadWorkers } from '../../src/fleet/takeover.js';
import { createRedis } from '../../src/jobs/connection.js';
import { AccountStore } from '../../src/store/account-store.js';
import { keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { capturedLogger } from '../support/log-capture.js';
import { runCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('liveness');
const keys = keysFor(prefix, 4);
const captured = capturedLogger({ level: 'warn' });
const log = captured.logger;
let redis: Redis;
let store: AccountStore;

beforeAll(() => {
  redis = withScripts(createRedis(redisUrl(), 'worker', () => {}));
  store = new AccountStore(redis, keys);
});
beforeEach(async () => {
  await deleteKeys(redisUrl(), prefix);
});
afterAll(async () => {
  await deleteKeys(redisUrl(), prefix);
  redis.disconnect();
});

/** LOCK_MS of these tests: a worker silent this long is dead. */
const LOCK = 300;

/** A worker that beat once and then stopped, as a SIGKILL leaves it. */
async function workerThatDies(): Promise<string> {
  const hb = new Heartbeat(redis, keys, LOCK, log);
  await redis.fsBeat(keys.alive(hb.id), keys.workers, hb.id, LOCK);
  return hb.id;
}

/** A lease taken by `worker` for a job whose BullMQ lock holds `jobToken`. */
async function holdAccount(worker: string, account: string, jobToken = `job-${account}`) {
  const lockKey = `${keys.partOf(account).prefix}:reconcile:${account}:lock`;
  await redis.set(lockKey, jobToken, 'PX', 60_000);
  const lease = await store.acquireLease(account, 60_000, { worker, job: { lockKey, token: jobToken } });
  return { lease: lease!, lockKey };
}

/** Polls (20 ms, at most 2 s) until the worker counts as dead. */
const gone = async (id: string) => {
  for (let i = 0; i < 100 && !(await deadWorkers(redis, keys, LOCK)).dead.has(id); i++)
    await new Promise((r) => setTimeout(r, 20));
};
const noWorkers = { now: expect.any(Number), dead: new Map() };

describe('worker liveness', () => {
  it('frees the lease and job lock of every account a dead worker held, then forgets the worker', async () => {
    const dead = await workerThatDies();
    const held = await Promise.all(['a1', 'a2', 'a3'].map((a) => holdAccount(dead, a)));
    await gone(dead);

    const status = await runCli(['status', '--account', 'a2', '--json'], {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      PARTITIONS: '4',
      LOCK_MS: String(LOCK),
    });
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({
      heldBy: { worker: dead, stoppedBeating: true },
      fleet: { workers: { beating: 0, accountsWaiting: 3, stopped: [{ worker: dead, accountsWaiting: 3 }] } },
    });
    const text = await runCli(['status', '--account', 'a2'], {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      PARTITIONS: '4',
      LOCK_MS: String(LOCK),
    });
    expect(text.stdout).toContain(`worker ${dead} stopped beating`);
    expect(text.stdout).toContain('no worker beats to take them over: start one');

    const report = await livenessReport(redis, keys, LOCK);
    expect(report).toMatchObject({ beating: 0, accountsWaiting: 3 });
    expect(report.stopped).toEqual([expect.objectContaining({ worker: dead, accountsWaiting: 3 })]);
    expect(report.longestWaitSeconds).toBeGreaterThan(0);

    expect(await takeOverDeadWorkers(redis, keys, log, LOCK)).toBe(3);
    for (const { lease, lockKey } of held) {
      expect(await redis.exists(keys.lease(lease.account), lockKey)).toBe(0);
      expect(await store.acquireLease(lease.account, 1_000)).toBeDefined();
    }
    expect(await deadWorkers(redis, keys, LOCK)).toEqual(noWorkers);
    expect(await redis.zcard(keys.workers)).toBe(0);
    expect(await livenessReport(redis, keys, LOCK)).toMatchObject({
      accountsWaiting: 0,
      longestWaitSeconds: 0,
    });
    expect(captured.text()).toContain('took over the accounts of a worker that stopped beating');
  });

  it('leaves a beating worker alone', async () => {
    const hb = new Heartbeat(redis, keys, 60_000, log);
    await hb.start();
    const { lease, lockKey } = await holdAccount(hb.id, 'b1');
    expect(await takeOverDeadWorkers(redis, keys, log, LOCK)).toBe(0);
    expect(await redis.get(keys.lease('b1'))).toBe(lease.token);
    expect(await redis.get(lockKey)).toBe('job-b1');
    expect((await livenessReport(redis, keys, LOCK)).beating).toBe(1);
    await hb.stop();
    expect(await deadWorkers(redis, keys, LOCK)).toEqual(noWorkers);
    expect(await redis.zcard(keys.workers)).toBe(0);
  });

  it('frees nothing a live worker took meanwhile: a new lease, or the job lock under a new token', async () => {
    const dead = await workerThatDies();
    const { lease } = await holdAccount(dead, 'c1');
    const { lockKey } = await holdAccount(dead, 'c2');
    await gone(dead);
    // c1: the lease expired and a live worker took it; c2: the job moved on to another worker's lock
    await redis.del(keys.lease('c1'));
    const taken = await store.acquireLease('c1', 60_000, { worker: 'live-1' });
    await redis.set(lockKey, 'another-worker-token');

    expect(await takeOverDeadWorkers(redis, keys, log, LOCK)).toBe(1);
    expect(await redis.get(keys.lease('c1'))).toBe(taken!.token);
    expect(taken!.token).not.toBe(lease.token);
    expect(await redis.get(lockKey)).toBe('another-worker-token');
    expect(await redis.exists(keys.lease('c2'))).toBe(0);
  });

  it('a worker that comes back after a stall keeps what it took since: only leases from before its heartbeat expired are taken', async () => {
    const dead = await workerThatDies();
    await holdAccount(dead, 'e1');
    await gone(dead);
    await new Promise((r) => setTimeout(r, LOCK)); // well past the heartbeat's expiry
    // the stalled worker wakes and takes a new account before its next beat
    const { lease } = await holdAccount(dead, 'e2');
    expect(await takeOverDeadWorkers(redis, keys, log, LOCK)).toBe(1);
    expect(await redis.exists(keys.lease('e1'))).toBe(0);
    expect(await redis.get(keys.lease('e2'))).toBe(lease.token);
  });

  it('one process a beat takes over: the others find it is not their turn', async () => {
    const dead = await workerThatDies();
    await holdAccount(dead, 'f1');
    await gone(dead);
    const [a, b] = await Promise.all([
      takeOverDeadWorkers(redis, keys, log, LOCK),
      takeOverDeadWorkers(redis, keys, log, LOCK),
    ]);
    expect([a, b].sort()).toEqual([0, 1]);
  });

  it('a released lease leaves no holder record behind', async () => {
    const hb = new Heartbeat(redis, keys, 60_000, log);
    const { lease } = await holdAccount(hb.id, 'd1');
    expect(await redis.hlen(keys.partOf('d1').holders)).toBe(1);
    await store.releaseLease(lease);
    expect(await redis.hlen(keys.partOf('d1').holders)).toBe(0);
  });
});
