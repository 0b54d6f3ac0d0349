/**
 * The naive baseline for the API-economy benchmark: one BullMQ job per event, and each job
 * makes right away the provider calls that this one event's change needs — no debounce, no
 * coalescing across events. It is a generous baseline: it deduplicates ids, applies the same
 * last-writer-wins facts (so it ends in the right state), skips events that change no
 * membership, and batches within one event (a new user folder is one create, not one call per
 * member). Whatever it saves, it never saves across events.
 */
import { Queue, Worker } from 'bullmq';
import { createRedis } from '../../src/jobs/connection.js';
import type { ConversationKey, FolderKey } from '../../src/plan/types.js';
import { markerFor } from '../../src/provider/marker.js';
import {
  appFolderDef,
  type ConversationView,
  compileMembership,
  userFolderDef,
} from '../../src/rules/evaluate.js';
import type { AppFolder, ConversationRef } from '../../src/rules/schema.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { AccountModel } from './model.js';
import { benchPrefix, deletePrefix } from './redis.js';
import { waitUntil } from './time.js';
import type { BenchEvent } from './workload.js';

interface NaiveGroup {
  groupId: string;
  name: string;
  members: Set<ConversationKey>;
}

interface NaiveAccount {
  model: AccountModel;
  groups: Map<FolderKey, NaiveGroup>;
  /** jobs of one account run one after another, in arrival order */
  chain: Promise<void>;
}

interface FolderNow {
  key: FolderKey;
  name: string;
  isIn: (view: ConversationView | undefined, c: ConversationKey) => boolean;
}

const IDS_PER_CALL = 100;

export interface NaiveResult {
  ms: number;
  jobs: number;
}

/** Runs the naive worker over `events` (arrival order) against `sim`; resolves when every job is done. */
export async function runNaive(opts: {
  redisUrl: string;
  sim: Simulator;
  events: readonly BenchEvent[];
  appFolders: readonly AppFolder[];
  concurrency?: number;
}): Promise<NaiveResult> {
  const prefix = benchPrefix('naive');
  const connection = createRedis(opts.redisUrl, 'worker', () => {});
  const queue = new Queue('naive-events', {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
  });
  const client = new YunxinClient({
    appKey: DEMO_APP.appKey,
    appSecret: DEMO_APP.appSecret,
    endpoints: [opts.sim.url],
  });
  const accounts = new Map<string, NaiveAccount>();
  const seen = new Set<string>();
  let done = 0;
  let failure: Error | undefined;

  const foldersOf = (a: NaiveAccount): FolderNow[] => {
    const model = a.model;
    const listedOnly = (include: readonly ConversationRef[] | undefined) => {
      const set = new Set((include ?? []).map((r) => `${r.type}|${r.target}` as ConversationKey));
      return (c: ConversationKey) => set.has(c) && !model.isKnown(c) && !model.isRemoved(c);
    };
    return [
      ...opts.appFolders.map((f) => {
        const def = appFolderDef(f);
        const isIn = compileMembership(def);
        return {
          key: def.key,
          name: f.name,
          isIn: (v: ConversationView | undefined) => (v ? isIn(v) : false),
        };
      }),
      ...model.userFolders().map(({ folder }) => {
        const def = userFolderDef(folder);
        const isIn = compileMembership(def);
        const listed = listedOnly(folder.include);
        return {
          key: def.key,
          name: folder.name,
          isIn: (v: ConversationView | undefined, c: ConversationKey) => (v ? isIn(v) : listed(c)),
        };
      }),
    ];
  };

  const ids = (account: string, keys: readonly ConversationKey[]) => keys.map((k) => `${account}|${k}`);

  async function create(account: string, a: NaiveAccount, f: FolderNow, members: ConversationKey[]) {
    const first = members.slice(0, IDS_PER_CALL);
    const { group } = await client.createGroup({
      accountId: account,
      name: f.name,
      serverExtension: markerFor(f.key),
      conversationIds: ids(account, first),
    });
    const g: NaiveGroup = { groupId: group.groupId, name: f.name, members: new Set(first) };
    a.groups.set(f.key, g);
    await change(account, g, 'add', members.slice(IDS_PER_CALL));
  }

  async function change(account: string, g: NaiveGroup, op: 'add' | 'remove', members: ConversationKey[]) {
    for (let i = 0; i < members.length; i += IDS_PER_CALL) {
      const batch = members.slice(i, i + IDS_PER_CALL);
      await client.updateGroup({
        accountId: account,
        groupId: g.groupId,
        membership: { op, conversationIds: ids(account, batch) },
      });
      for (const c of batch) {
        if (op === 'add') g.members.add(c);
        else g.members.delete(c);
      }
    }
  }

  async function handle(e: BenchEvent, a: NaiveAccount): Promise<void> {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    const touched = a.model.apply(e);
    const folders = foldersOf(a);
    const account = e.account;
    if (touched === undefined) {
      // a folder event: delete groups of folders that are gone, sync the one that changed
      const live = new Set(folders.map((f) => f.key));
      for (const [key, g] of a.groups) {
        if (key.startsWith('user:') && !live.has(key)) {
          await client.deleteGroup({ accountId: account, groupId: g.groupId });
          a.groups.delete(key);
        }
      }
      const id = e.type === 'folder.upserted' ? (e['folder'] as { id: string }).id : undefined;
      const f = folders.find((x) => x.key === `user:${id}`);
      if (!f) return;
      const known = [...a.model.presence.keys()];
      const listed = ((e['folder'] as { include?: ConversationRef[] }).include ?? []).map(
        (r) => `${r.type}|${r.target}` as ConversationKey,
      );
      const members = [...new Set([...known, ...listed])]
        .filter((c) => f.isIn(a.model.view(c)?.view, c))
        .sort();
      const g = a.groups.get(f.key);
      if (!g) return create(account, a, f, members);
      if (g.name !== f.name) {
        await client.updateGroup({ accountId: account, groupId: g.groupId, name: f.name });
        g.name = f.name;
      }
      const want = new Set(members);
      await change(
        account,
        g,
        'remove',
        [...g.members].filter((c) => !want.has(c)),
      );
      await change(
        account,
        g,
        'add',
        members.filter((c) => !g.members.has(c)),
      );
      return;
    }
    // a conversation event: this conversation's membership in every folder
    const view = a.model.view(touched)?.view;
    for (const f of folders) {
      const want = f.isIn(view, touched);
      const g = a.groups.get(f.key);
      const have = g?.members.has(touched) ?? false;
      if (want === have) continue;
      if (want && !g) await create(account, a, f, [touched]);
      else if (g) await change(account, g, want ? 'add' : 'remove', [touched]);
    }
  }

  const worker = new Worker<BenchEvent>(
    'naive-events',
    async (job) => {
      const e = job.data;
      let a = accounts.get(e.account);
      if (!a) {
        a = { model: new AccountModel(), groups: new Map(), chain: Promise.resolve() };
        accounts.set(e.account, a);
      }
      const acc = a;
      const run = acc.chain.then(() => handle(e, acc));
      acc.chain = run.catch(() => {});
      await run;
    },
    { connection, prefix, concurrency: opts.concurrency ?? 32 },
  );
  worker.on('completed', () => done++);
  worker.on('failed', (_job, error) => {
    failure ??= error;
  });

  const started = performance.now();
  for (let i = 0; i < opts.events.length; i += 5000) {
    await queue.addBulk(opts.events.slice(i, i + 5000).map((e) => ({ name: 'event', data: e })));
  }
  await waitUntil(() => done >= opts.events.length || failure !== undefined, 'the naive worker', 600_000, 25);
  const ms = performance.now() - started;
  await worker.close();
  await queue.close();
  await client.close();
  connection.disconnect();
  await deletePrefix(opts.redisUrl, prefix);
  if (failure) throw failure;
  return { ms, jobs: done };
}
