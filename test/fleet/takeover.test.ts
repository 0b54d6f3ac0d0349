/** Worker liveness against a real Redis: who counts as dead, and what a takeover frees. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Heartbeat, readWorkers } from '../../src/fleet/liveness.js';
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

/** A worker that beat once with a short TTL and then stopped, as a SIGKILL leaves it. */
async function workerThatDies(ttlMs: number): Promise<string> {
  const hb = new Heartbeat(redis, keys, ttlMs, log);
  await redis.fsBeat(keys.alive(hb.id), keys.workers, hb.id, ttlMs, Date.now());
  return hb.id;
}

/** A lease taken by `worker` for a job whose BullMQ lock holds `jobToken`. */
async function holdAccount(worker: string, account: string, jobToken = `job-${account}`) {
  const lockKey = `${keys.partOf(account).prefix}:reconcile:${account}:lock`;
  await redis.set(lockKey, jobToken, 'PX', 60_000);
  const lease = await store.acquireLease(account, 60_000, { worker, job: { lockKey, token: jobToken } });
  return { lease: lease!, lockKey };
}

const gone = async (id: string) => {
  for (let i = 0; i < 100 && (await redis.exists(keys.alive(id))); i++)
    await new Promise((r) => setTimeout(r, 20));
};

describe('worker liveness', () => {
  it('frees the lease and job lock of every account a dead worker held, then forgets the worker', async () => {
    const dead = await workerThatDies(100);
    const held = await Promise.all(['a1', 'a2', 'a3'].map((a) => holdAccount(dead, a)));
    await gone(dead);

    const status = await runCli(['status', '--account', 'a2', '--json'], {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      PARTITIONS: '4',
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
    });
    expect(text.stdout).toContain(`worker ${dead} stopped beating`);
    expect(text.stdout).toContain('no worker beats to take them over: start one');

    const report = await livenessReport(redis, keys);
    expect(report).toMatchObject({ beating: 0, accountsWaiting: 3 });
    expect(report.stopped).toEqual([expect.objectContaining({ worker: dead, accountsWaiting: 3 })]);
    expect(report.longestWaitSeconds).toBeGreaterThan(0);

    expect(await takeOverDeadWorkers(redis, keys, log)).toBe(3);
    for (const { lease, lockKey } of held) {
      expect(await redis.exists(keys.lease(lease.account), lockKey)).toBe(0);
      expect(await store.acquireLease(lease.account, 1_000)).toBeDefined();
    }
    expect(await readWorkers(redis, keys)).toEqual({ live: [], dead: new Map() });
    expect(await livenessReport(redis, keys)).toMatchObject({ accountsWaiting: 0, longestWaitSeconds: 0 });
    expect(captured.text()).toContain('took over the accounts of a worker that stopped beating');
  });

  it('leaves a beating worker alone', async () => {
    const hb = new Heartbeat(redis, keys, 60_000, log);
    await hb.start();
    const { lease, lockKey } = await holdAccount(hb.id, 'b1');
    expect(await takeOverDeadWorkers(redis, keys, log)).toBe(0);
    expect(await redis.get(keys.lease('b1'))).toBe(lease.token);
    expect(await redis.get(lockKey)).toBe('job-b1');
    expect((await livenessReport(redis, keys)).beating).toBe(1);
    await hb.stop();
    expect(await readWorkers(redis, keys)).toEqual({ live: [], dead: new Map() });
  });

  it('frees nothing a live worker took meanwhile: a new lease, or the job lock under a new token', async () => {
    const dead = await workerThatDies(100);
    const { lease } = await holdAccount(dead, 'c1');
    const { lockKey } = await holdAccount(dead, 'c2');
    await gone(dead);
    // c1: the lease expired and a live worker took it; c2: the job moved on to another worker's lock
    await redis.del(keys.lease('c1'));
    const taken = await store.acquireLease('c1', 60_000, { worker: 'live-1' });
    await redis.set(lockKey, 'another-worker-token');

    expect(await takeOverDeadWorkers(redis, keys, log)).toBe(1);
    expect(await redis.get(keys.lease('c1'))).toBe(taken!.token);
    expect(taken!.token).not.toBe(lease.token);
    expect(await redis.get(lockKey)).toBe('another-worker-token');
    expect(await redis.exists(keys.lease('c2'))).toBe(0);
  });

  it('a released lease leaves no holder record behind', async () => {
    const hb = new Heartbeat(redis, keys, 60_000, log);
    const { lease } = await holdAccount(hb.id, 'd1');
    expect(await redis.hlen(keys.partOf('d1').holders)).toBe(1);
    await store.releaseLease(lease);
    expect(await redis.hlen(keys.partOf('d1').holders)).toBe(0);
  });
});
