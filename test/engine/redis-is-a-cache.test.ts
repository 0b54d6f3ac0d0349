/**
 * The provider is the truth and Redis a cache: real `folder-sync worker` processes on a real
 * Redis survive Redis losing its data, and find client-side edits nobody reports. Expected
 * groups come from the independent model in test/support/folder-model.ts. Rules rolled across
 * the fleet are in fleet-rules.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { type Engine, PROVIDERS, type ProviderName, providerEnv, startEngine } from '../support/engine.js';
import { expectedFolders } from '../support/folder-model.js';
import {
  filledAccount as account,
  expectConverged as expectGroups,
  range,
} from '../support/process-scenarios.js';
import { OwnRedis } from '../support/redis-server.js';
import { printTails, WorkerProcesses, workerEnv } from '../support/worker-processes.js';

let engine: Engine<SimulatorBase> | undefined;
let ownRedis: OwnRedis | undefined;
const procs = new WorkerProcesses();

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') printTails(procs.outputs(), 30);
  await procs.stopAll();
  await engine?.close();
  engine = undefined;
  await ownRedis?.destroy();
  ownRedis = undefined;
});

/** Successful writes the provider took (creates, updates, deletes). */
function writes(e: Engine<SimulatorBase>): number {
  const by = e.sim.calls.snapshot().byEndpoint;
  return ['group.create', 'group.update', 'group.delete'].reduce(
    (n, ep) => n + (by[ep]?.[e.successCode] ?? 0),
    0,
  );
}

describe('Redis loses its data', () => {
  it.each(PROVIDERS)(
    'FLUSHALL, restart, republish (%s): no duplicate group, and the second pass writes ≤ 5 % of the first',
    async (provider: ProviderName) => {
      ownRedis = await OwnRedis.start({ args: ['--appendonly', 'no'] });
      engine = await startEngine({ provider, noWorkers: true, env: { REDIS_URL: ownRedis.url } });
      const e = engine;
      const env = workerEnv(e.config);
      await Promise.all([procs.start(env), procs.start(env)]);
      const accounts = range(12).map((i) => `wipe-${i}`);
      const events = accounts.flatMap((a) => account(a));
      const expected = expectedFolders(events);
      expect((await e.publish(events)).accepted).toBe(events.length);
      await e.eventually(() => expectGroups(e, expected), 60_000);
      // and nothing left in flight: a reconcile after the flush would already adopt
      await e.idle(60_000);
      const firstPass = writes(e);

      // the running workers notice the wipe (the sentinel is gone) within their 5 s check
      await e.redis.flushall();
      await e.eventually(() => expect(procs.outputs().join('\n')).toContain('Redis lost data'), 20_000);
      await procs.stopAll();
      await Promise.all([procs.start(env), procs.start(env)]);
      const before = writes(e);
      const listsBefore = e.sim.calls.count('group.list');
      const republishedAt = Date.now();
      expect((await e.publish(events)).accepted).toBe(events.length);
      // every account reconciled again, after the republish
      await e.eventually(async () => {
        for (const a of accounts) {
          const synced = Number(await e.redis.hget(keysOf(e.config).status(a), 'lastSyncAt'));
          expect(synced, a).toBeGreaterThan(republishedAt);
        }
      }, 60_000);
      await e.idle(60_000);
      expectGroups(e, expected);
      const secondPass = writes(e) - before;
      console.log(
        `wipe (${provider}): first pass ${firstPass} writes; after FLUSHALL and republishing: ${secondPass} writes, ` +
          `${e.sim.calls.count('group.list') - listsBefore} lists for ${accounts.length} accounts ${JSON.stringify(e.sim.calls.snapshot().byEndpoint)}`,
      );
      expect(secondPass).toBeLessThanOrEqual(0.05 * firstPass);
      // first contact read every account back: one list each
      expect(e.sim.calls.count('group.list') - listsBefore).toBeGreaterThanOrEqual(accounts.length);
    },
  );
});

describe('continuous verification', () => {
  it('finds and repairs client-side edits with no resync event, within its share of the rate', async () => {
    const R = 40;
    const share = 0.25;
    // the verifier of in-process workers: what it reads back is the point, not a process
    engine = await startEngine({
      env: {
        ...providerEnv({ rateLimit: R }),
        VERIFY_SHARE: String(share),
        VERIFY_MIN_INTERVAL_MS: '300',
      },
    });
    const e = engine;
    const accounts = range(4).map((i) => `verify-${i}`);
    const events = accounts.flatMap((a) => account(a, 3));
    const expected = expectedFolders(events);
    await e.publish(events);
    await e.eventually(() => expectGroups(e, expected), 30_000);

    // edits in a client: a member added, one removed, a managed group deleted
    const client = new YunxinClient({ ...DEMO_APP, endpoints: [e.sim.url] });
    const [target] = accounts;
    (e.sim as Simulator).state.seedConversations([`${target}|2|stranger`]); // the user chatted there
    const ids = (a: string, name: string) => e.snapshot(a).find((g) => g.name === name)!.groupId;
    await client.updateGroup({
      accountId: target!,
      groupId: ids(target!, 'Customers'),
      membership: { op: 'add', conversationIds: [`${target}|2|stranger`] },
    });
    await client.updateGroup({
      accountId: accounts[1]!,
      groupId: ids(accounts[1]!, 'Projects'),
      membership: { op: 'remove', conversationIds: [`${accounts[1]}|2|p0`] },
    });
    await client.deleteGroup({ accountId: accounts[2]!, groupId: ids(accounts[2]!, 'Direct messages') });
    expect(e.groups(target!)['Customers']).toContain('2|stranger');
    await client.close();
    const editedAt = Date.now();
    const listsBefore = e.sim.calls.count('group.list');

    await e.eventually(() => expectGroups(e, expected), 30_000);
    const seconds = (Date.now() - editedAt) / 1000;
    const lists = e.sim.calls.count('group.list') - listsBefore;
    console.log(`verification: repaired 3 client edits in ${seconds.toFixed(1)} s with ${lists} read-backs`);
    // each verification is a list and a members read: within `share` of R, plus one in flight
    expect(lists).toBeLessThanOrEqual(Math.ceil((share * R * seconds) / 2) + 1);
    expect(e.sim.calls.snapshot().peakPerSecond).toBeLessThanOrEqual(R);
  });
});
