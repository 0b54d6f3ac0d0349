/**
 * `folder-sync migrate-layout`: a deployment of the single-slot layout (before 0.3) moves to the
 * partitioned one with its facts, ledgers and queued events, and the workers that start on it
 * go on where the old ones stopped: no group made again, the queued event applied.
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { JOB_NAMES, QUEUES } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/log.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import type { Keys } from '../../src/store/keys.js';
import { type RunningWorkers, startWorkers } from '../../src/workers/run-workers.js';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';
import { runCli } from '../support/processes.js';

let engine: Engine<SimulatorBase> | undefined;
let restarted: RunningWorkers | undefined;
afterEach(async () => {
  await restarted?.close();
  restarted = undefined;
  await engine?.close();
  engine = undefined;
});

const ACCOUNT_KEYS = ['facts', 'folders', 'ledger', 'rejections', 'retries', 'status', 'counts'] as const;

/** Rewrites a partitioned deployment as the single-slot layout wrote it, and removes the new keys. */
async function downgrade(e: Engine<SimulatorBase>, keys: Keys): Promise<string[]> {
  const old = (...parts: string[]) => [keys.prefix, ...parts].join(':');
  const accounts = (await Promise.all(keys.parts.map((p) => e.redis.smembers(p.accounts)))).flat();
  for (const account of accounts) {
    for (const name of ACCOUNT_KEYS) {
      const dump = await e.redis.dumpBuffer(keys[name](account));
      if (dump === null) continue;
      await e.redis.restore(old(name, account), 0, dump, 'REPLACE');
      await e.redis.del(keys[name](account));
    }
    const part = keys.partOf(account);
    await e.redis.sadd(old('accounts'), account);
    await e.redis.zadd(old('verified'), (await e.redis.zscore(part.verified, account)) ?? '0', account);
  }
  for (const part of keys.parts)
    await e.redis.del(part.accounts, part.verified, part.resyncRequests, part.verifyRequests);
  for (const q of [...e.events.queues, ...e.reconcile.queues]) await q.obliterate({ force: true });
  const sentinel = JSON.parse((await e.redis.get(keys.deployment))!) as Record<string, unknown>;
  delete sentinel['partitions'];
  await e.redis.set(keys.deployment, JSON.stringify(sentinel));
  return accounts;
}

describe('migrate-layout', () => {
  it('moves facts, ledgers and queued events into partitions; the new workers make no group again', async () => {
    engine = await startEngine({ env: { PARTITIONS: '4' }, noWorkers: true });
    const e = engine;
    const silent = createLogger({ level: 'silent' });
    const first = await startWorkers(e.config, silent);
    const keys = keysOf(e.config);
    const accounts = Array.from({ length: 12 }, (_, i) => `mig-${i}`);
    await e.publish(
      accounts.flatMap((a) => [
        ev('conversation.upserted', a, { ...team('p1'), attributes: { kind: 'project', pinned: true } }),
        ev('conversation.tagged', a, { ...team('c1'), tag: 'customer' }),
        ev('conversation.upserted', a, { ...p2p('u1'), attributes: {} }),
      ]),
    );
    await e.eventually(() => {
      for (const a of accounts) expect(Object.keys(e.groups(a))).toHaveLength(3);
    });
    await e.idle();
    await first.close();
    const createsBefore = e.sim.calls.count('group.create');
    expect((await downgrade(e, keys)).sort()).toEqual([...accounts].sort());

    // an event still queued in the old events queue when the old workers stopped
    const oldEvents = new Queue(QUEUES.events, { connection: e.redis, prefix: keys.prefix });
    const late = ev('conversation.tagged', 'mig-0', { ...team('c2'), tag: 'customer' });
    (e.sim as Simulator).state.seedConversations(['mig-0|2|c2']);
    await oldEvents.add(JOB_NAMES.events, { events: [late] });
    await oldEvents.close();

    // a worker of this version refuses the old layout
    await expect(startWorkers(e.config, silent)).rejects.toThrow(/migrate-layout/);

    const env = { REDIS_URL: e.config.REDIS_URL, QUEUE_PREFIX: keys.prefix, PARTITIONS: '4' };
    const run = await runCli(['migrate-layout'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/moved 12 accounts \(\d+ keys\) and 1 queued events to 4 partitions/);
    expect((await runCli(['migrate-layout'], env)).stdout).toMatch(/nothing to move/);

    restarted = await startWorkers(e.config, silent);
    await e.eventually(() => expect(e.groups('mig-0')['Customers']).toEqual(['2|c1', '2|c2']));
    await e.idle();
    for (const a of accounts) {
      expect(
        e
          .snapshot(a)
          .map((g) => g.name)
          .sort(),
        a,
      ).toEqual(['Customers', 'Direct messages', 'Projects']);
    }
    expect(e.sim.calls.count('group.create')).toBe(createsBefore);
  });
});
