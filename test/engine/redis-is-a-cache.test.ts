/**
 * The provider is the truth and Redis a cache: real `folder-sync worker` processes on a real
 * Redis survive what operators do to them — Redis losing its data, a rolling deploy with new
 * rules, a destructive rules edit, client-side edits nobody reports. Expected groups come from
 * the independent model in test/support/folder-model.ts.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { JOB_NAMES, openQueue, QUEUES } from '../../src/jobs/queues.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { freePort, getJson } from '../support/compose.js';
import {
  type Engine,
  ev,
  PROVIDERS,
  type ProviderName,
  p2p,
  providerEnv,
  startEngine,
  team,
} from '../support/engine.js';
import { conversationsByAccount, exampleRules, expectedFolders } from '../support/folder-model.js';
import { spawnCli } from '../support/processes.js';
import { OwnRedis } from '../support/redis-server.js';
import { printTails, simGroups, WorkerProcesses, workerEnv } from '../support/worker-processes.js';

type Event = Record<string, unknown>;

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

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);
const EXAMPLE_FOLDERS = exampleRules().folders;
/** Rules B: Customers renamed, Direct messages dropped, VIP new. */
const RULES_B_FOLDERS = [
  EXAMPLE_FOLDERS[0]!,
  { id: 'customers', name: 'Clients', rule: { attr: 'tags', has: 'customer' } },
  { id: 'vip', name: 'VIP', rule: { attr: 'tags', has: 'vip' } },
];

/** Writes rules the way editors and config maps do: a temporary file renamed over the old one. */
function writeRules(path: string, rules: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(rules));
  renameSync(`${path}.tmp`, path);
}
function rulesFile(rules: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fs-rules-')), 'rules.json');
  writeRules(path, rules);
  return path;
}

/** Every folder of examples/rules.json and VIP filled, with conversations in none of them too. */
function account(a: string, n = 6): Event[] {
  return range(n).flatMap((i) => [
    ev('conversation.upserted', a, {
      ...team(`p${i}`),
      attributes: { kind: 'project', pinned: i % 3 !== 2 },
    }),
    ev('conversation.tagged', a, { ...team(`c${i}`), tag: 'customer' }),
    ev('conversation.tagged', a, { ...team(`v${i}`), tag: i % 2 === 0 ? 'vip' : 'other' }),
    ev('conversation.upserted', a, { ...p2p(`u${i}`), attributes: {} }),
    ...(i % 4 === 3 ? [ev('conversation.archived', a, p2p(`u${i}`))] : []),
  ]);
}

/** Expected groups under rules B, from the model's conversations. */
function expectedUnderB(events: readonly Event[]): Map<string, Record<string, string[]>> {
  const out = new Map<string, Record<string, string[]>>();
  for (const [a, conversations] of conversationsByAccount(events)) {
    const folders: Record<string, string[]> = { Projects: [], Clients: [], VIP: [] };
    for (const [key, c] of conversations) {
      if (!c.present) continue;
      if (c.attributes.get('kind') === 'project' && c.attributes.get('pinned') === true)
        folders.Projects!.push(key);
      if (c.tags.has('customer')) folders.Clients!.push(key);
      if (c.tags.has('vip')) folders.VIP!.push(key);
    }
    for (const list of Object.values(folders)) list.sort();
    out.set(a, folders);
  }
  return out;
}

function expectGroups(e: Engine<SimulatorBase>, expected: ReadonlyMap<string, Record<string, string[]>>) {
  for (const [a, folders] of expected) {
    const { groups, duplicates } = simGroups(e, a);
    expect(duplicates, a).toEqual([]);
    expect(groups, a).toEqual(folders);
  }
}

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
      const accounts = range(30).map((i) => `wipe-${i}`);
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

describe('rules across the fleet', () => {
  it('a rolling deploy: old and new workers overlap while events flow, then every account runs the new rules', async () => {
    engine = await startEngine({ noWorkers: true });
    const e = engine;
    const oldEnv = workerEnv(e.config, {
      FOLDER_RULES: rulesFile({ version: 1, folders: EXAMPLE_FOLDERS }),
      RULES_MAX_DELETE_SHARE: '1', // the operator allowed dropping a folder
    });
    const newEnv = { ...oldEnv, FOLDER_RULES: rulesFile({ version: 2, folders: RULES_B_FOLDERS }) };
    const old = await Promise.all([procs.start(oldEnv), procs.start(oldEnv)]);
    const accounts = range(30).map((i) => `roll-${i}`);
    const published: Event[] = accounts.flatMap((a) => account(a, 3));
    await e.publish(published);

    // events keep flowing while new workers start next to the old ones
    let flowing = true;
    const flow = (async () => {
      for (let round = 0; flowing; round++) {
        const batch = accounts.map((a) =>
          ev('conversation.tagged', a, { ...team(`late${round}`), tag: round % 2 ? 'vip' : 'customer' }),
        );
        published.push(...batch);
        await e.publish(batch);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    await Promise.all([procs.start(newEnv), procs.start(newEnv)]);
    await e.eventually(
      () => expect(old.map((w) => w.output()).join('')).toContain('older rules file than the fleet'),
      20_000,
    );
    await Promise.all(old.map((w) => w.stop()));
    const stoppedAt = Date.now();
    flowing = false;
    await flow;
    const expected = expectedUnderB(published);
    await e.eventually(() => expectGroups(e, expected), 60_000);
    console.log(`rolling deploy: converged ${Date.now() - stoppedAt} ms after the old workers stopped`);
    for (const a of accounts) {
      for (const g of e.snapshot(a)) expect(g.names!.length, `${a} ${g.names}`).toBeLessThanOrEqual(2);
    }
  });

  it('A → B → A: every change re-reconciles the fleet once, the revert too', async () => {
    engine = await startEngine({ noWorkers: true });
    const e = engine;
    const a = { folders: EXAMPLE_FOLDERS };
    const b = {
      folders: [EXAMPLE_FOLDERS[0], { ...EXAMPLE_FOLDERS[1], name: 'Clients' }, EXAMPLE_FOLDERS[2]],
    };
    const path = rulesFile(a);
    const env = workerEnv(e.config, { FOLDER_RULES: path });
    const workers = await Promise.all([procs.start(env), procs.start(env)]);
    const accounts = ['rev-1', 'rev-2'];
    await e.publish(accounts.flatMap((x) => account(x, 2)));
    const names = (x: string) => Object.keys(e.groups(x)).sort();
    await e.eventually(() => expect(names('rev-1')).toEqual(['Customers', 'Direct messages', 'Projects']));
    for (const [rules, customers] of [
      [b, 'Clients'],
      [a, 'Customers'],
    ] as const) {
      writeRules(path, rules);
      await e.eventually(() => {
        for (const x of accounts) expect(names(x)).toContain(customers);
      }, 20_000);
    }
    const maintenance = openQueue(QUEUES.maintenance, e.redis, e.config.QUEUE_PREFIX, () => {});
    const walks = await maintenance.getJobs(['completed', 'active', 'waiting', 'delayed']);
    await maintenance.close();
    expect(
      walks
        .filter((j) => j.name === JOB_NAMES.rulesChanged)
        .map((j) => j.data.generation)
        .sort(),
    ).toEqual([1, 2, 3]);
    const installs = workers
      .flatMap((w) => w.output().split('\n'))
      .filter((l) => l.includes('fleet rules installed'));
    expect(installs).toHaveLength(3);
  });

  it('a change that would delete most groups is held until `folder-sync rules confirm`', async () => {
    engine = await startEngine({ noWorkers: true });
    const e = engine;
    const path = rulesFile({ version: 1, folders: EXAMPLE_FOLDERS });
    const port = await freePort();
    const env = workerEnv(e.config, { FOLDER_RULES: path, WORKER_METRICS_PORT: String(port) });
    await procs.start(env);
    const accounts = range(5).map((i) => `guard-${i}`);
    await e.publish(accounts.flatMap((a) => account(a, 2)));
    await e.eventually(() => {
      for (const a of accounts) expect(Object.keys(e.groups(a))).toHaveLength(3);
    });
    const groupsBefore = accounts.map((a) => e.groups(a));

    writeRules(path, { version: 2, folders: [] });
    await e.eventually(() => expect(procs.outputs()[0]).toContain('rules change held'), 20_000);
    const readyz = (await getJson(`http://127.0.0.1:${port}/readyz`)) as { fleet: Record<string, unknown> };
    expect(readyz.fleet['rulesChangeHeld']).toMatchObject({
      version: 2,
      confirm: 'folder-sync rules confirm 2',
    });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('folder_sync_rules_change_held{version="2"} 1');
    const show = spawnCli(['rules', 'show'], env);
    await show.exited;
    expect(show.output()).toContain('HELD: version 2');
    // another check later: still held, nothing deleted
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(accounts.map((a) => e.groups(a))).toEqual(groupsBefore);
    expect(e.sim.calls.count('group.delete')).toBe(0);

    const confirm = spawnCli(['rules', 'confirm', '2'], env);
    expect(await confirm.exited).toBe(0);
    await e.eventually(() => {
      for (const a of accounts) expect(e.groups(a)).toEqual({});
    }, 20_000);
  });
});

describe('continuous verification', () => {
  it('finds and repairs client-side edits with no resync event, within its share of the rate', async () => {
    const R = 40;
    const share = 0.25;
    engine = await startEngine({ noWorkers: true });
    const e = engine;
    const env = workerEnv(e.config, {
      ...providerEnv({ rateLimit: R }),
      VERIFY_SHARE: String(share),
      VERIFY_MIN_INTERVAL_MS: '300',
    });
    await procs.start(env);
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
