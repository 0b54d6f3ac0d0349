import type { Config } from '../../config.js';
import { type HeldRules, readFleetRules } from '../../fleet/rules.js';
import { type DeploymentRecord, parseDeployment } from '../../fleet/sentinel.js';
import { livenessReport } from '../../fleet/takeover.js';
import { enqueueResyncAll } from '../../jobs/maintenance-jobs.js';
import { openPartitioned } from '../../jobs/partitioned-queue.js';
import { openQueue, QUEUES } from '../../jobs/queues.js';
import { enqueueReconcile } from '../../jobs/reconcile-jobs.js';
import { providerProfile } from '../../provider/create-provider.js';
import { loadRulesFile } from '../../rules/load.js';
import { type AccountStatus, accountStatus } from '../../status/account-status.js';
import { AccountStore } from '../../store/account-store.js';
import { decodeHolder } from '../../store/holders.js';
import { withScripts } from '../../store/scripts.js';
import { commandKeys, commandRedis } from '../command-redis.js';
import { configOrExit } from '../config-or-exit.js';
import { EXIT } from '../exit-codes.js';
import type { AccountFlags, ResyncFlags } from '../flags.js';

async function withStore<T>(config: Config, fn: (store: AccountStore) => Promise<T>): Promise<T> {
  const redis = withScripts(commandRedis(config, 'status').redis);
  try {
    return await fn(new AccountStore(redis, await commandKeys(config, redis)));
  } finally {
    redis.disconnect();
  }
}

interface StatusReport extends AccountStatus {
  fleet: {
    rulesGeneration: number | undefined;
    /** the fleet has no rules in Redis yet: planned with this process's file */
    rulesFromFile: boolean;
    deployment: DeploymentRecord | undefined;
    held: HeldRules | undefined;
    workers: Awaited<ReturnType<typeof livenessReport>>;
  };
  /** the worker whose lease this account is under now, if any */
  heldBy: { worker: string; since: number; stoppedBeating: boolean } | undefined;
}

/** The account under the fleet's rules (this file's only while the fleet has none). */
async function statusOf(account: string): Promise<StatusReport> {
  const config = configOrExit();
  return withStore(config, async (store) => {
    const { stored, held } = await readFleetRules(store.redis, store.keys);
    const rules = stored?.rules ?? (await loadRulesFile(config.FOLDER_RULES)).rules;
    const deployment = parseDeployment(await store.redis.get(store.keys.deployment));
    const workers = await livenessReport(store.redis, store.keys, config.LOCK_MS);
    const holder = decodeHolder((await store.redis.hget(store.keys.partOf(account).holders, account)) ?? '');
    const status = await accountStatus(
      account,
      store,
      rules.folders,
      providerProfile(config),
      Date.now(),
      deployment?.epoch,
    );
    return {
      ...status,
      fleet: { rulesGeneration: stored?.generation, rulesFromFile: !stored, deployment, held, workers },
      heldBy: holder && {
        worker: holder.worker,
        since: holder.since,
        stoppedBeating: workers.stopped.some((w) => w.worker === holder.worker),
      },
    };
  });
}

const time = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString());

function printStatus(s: StatusReport): void {
  const d = s.fleet.deployment;
  if (d?.dataLoss)
    console.log(
      `Redis lost data (found ${time(d.dataLoss.at)}: ${d.dataLoss.reason}); accounts are re-adopted from the provider`,
    );
  console.log(
    `account ${s.account}: last sync ${time(s.lastSyncAt)}, ${s.plan.length} calls pending, ${s.foreignGroups} groups not managed by us` +
      `, groups last read back ${time(s.verifiedAt)}` +
      `${s.awaitingReadoption ? ', not yet (re-)adopted: its next reconcile lists its groups first' : ''}` +
      `${s.resyncRequested ? ', resync requested' : ''}` +
      `${s.conversationsCreated ? `, ${s.conversationsCreated} conversations created so they could be grouped` : ''}`,
  );
  printWorkers(s);
  if (s.parked)
    console.log(
      `  PARKED since ${time(s.parked.at)} after ${s.parked.attempts} attempts: ${s.parked.reason}` +
        ' (an event, `folder-sync resync --account` or a rules change tries again)',
    );
  console.log(
    `  rules: fleet generation ${s.fleet.rulesGeneration ?? 'none (planned with this rules file)'}` +
      `, last reconciled under ${s.rulesGeneration ?? '-'}` +
      (s.fleet.held
        ? `; a change is HELD (folder-sync rules confirm ${s.fleet.held.version || s.fleet.held.hash.slice(0, 12)})`
        : ''),
  );
  for (const f of s.folders) {
    console.log(
      `  ${f.folder} "${f.groupName}" group ${f.groupId ?? '-'}: ${f.synced}/${f.desired} synced, ${f.pendingCalls} calls pending` +
        `${f.retrying ? `, ${f.retrying} retrying` : ''}${f.rejections.length ? `, ${f.rejections.length} rejected` : ''}` +
        `${f.overflow.length ? `, ${f.overflow.length} over provider limits` : ''}` +
        `${f.frozen ? ', FROZEN: its stored definition does not decode; resend folder.upserted' : ''}`,
    );
    for (const r of f.rejections)
      console.log(`    rejected ${r.conversation}: ${r.code} ${r.msg} (${time(r.at)})`);
    for (const o of f.overflow.slice(0, 20))
      console.log(`    over ${o.limit}${o.conversation ? `: ${o.conversation}` : ''}`);
    if (f.overflow.length > 20)
      console.log(`    … and ${f.overflow.length - 20} more over limits (--json lists all)`);
    if (f.lastError)
      console.log(
        `    last error: ${f.lastError.code} ${f.lastError.msg} at ${f.lastError.endpoint} (trace ${f.lastError.traceId}, ${time(f.lastError.at)})`,
      );
  }
}

/** Who holds the account now, and workers that stopped beating with accounts still waiting for them. */
function printWorkers(s: StatusReport): void {
  const w = s.fleet.workers;
  if (s.heldBy)
    console.log(
      `  held by worker ${s.heldBy.worker} since ${time(s.heldBy.since)}` +
        (s.heldBy.stoppedBeating
          ? ', which STOPPED BEATING: a live worker takes it over within a heartbeat'
          : ''),
    );
  for (const dead of w.stopped.filter((d) => d.accountsWaiting > 0))
    console.log(
      `  worker ${dead.worker} stopped beating ${dead.silentForSeconds.toFixed(1)} s ago holding ${dead.accountsWaiting} accounts` +
        (w.beating === 0 ? '; no worker beats to take them over: start one' : ''),
    );
}

export async function statusAction(o: AccountFlags): Promise<void> {
  const s = await statusOf(o.account);
  if (o.json) console.log(JSON.stringify(s, null, 2));
  else printStatus(s);
}

export async function planAction(o: AccountFlags): Promise<void> {
  const { plan } = await statusOf(o.account);
  if (o.json) return console.log(JSON.stringify(plan, null, 2));
  if (plan.length === 0) return console.log('in sync: no calls needed');
  for (const c of plan) {
    const ids =
      'ids' in c
        ? ` ${c.ids.length} ids: ${c.ids.slice(0, 5).join(', ')}${c.ids.length > 5 ? ', …' : ''}`
        : '';
    const extra =
      c.kind === 'rename'
        ? ` to "${c.name}"`
        : c.kind === 'update'
          ? ` +${c.add.length} -${c.remove.length}`
          : '';
    console.log(
      `${c.kind} ${c.folder}${'groupId' in c && c.groupId ? ` (group ${c.groupId})` : ''}${extra}${ids}`,
    );
  }
}

export async function resyncAction(o: ResyncFlags): Promise<void> {
  if (!o.account === !o.all) {
    console.error('give exactly one of --account <account> or --all');
    process.exit(EXIT.usage);
  }
  const config = configOrExit();
  const { redis, onError } = commandRedis(config, 'resync');
  try {
    const keys = await commandKeys(config, redis);
    if (o.account) {
      await new AccountStore(redis, keys).requestResync(o.account);
      const queue = openPartitioned(QUEUES.reconcile, redis, keys, onError);
      await enqueueReconcile(queue, [o.account], 0, 'resync');
      await queue.close();
      console.log(`resync of ${o.account} queued`);
    } else {
      const queue = openQueue(QUEUES.maintenance, redis, config.QUEUE_PREFIX, onError);
      await enqueueResyncAll(queue);
      await queue.close();
      console.log('resync of every known account queued');
    }
  } finally {
    redis.disconnect();
  }
}
