import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import { publishMany } from '../jobs/publish.js';
import { type GroupProvider, PROVIDER_LABELS } from '../provider/types.js';
import type { AppFolder } from '../rules/schema.js';
import { accountStatus } from '../status/account-status.js';
import type { AccountStore } from '../store/account-store.js';
import { DEMO_USERS, demoPhases } from './scenario.js';

export interface DemoDeps {
  events: PartitionedQueue;
  store: AccountStore;
  /** reads the groups (any provider); its limits and naming drive the status shown */
  provider: GroupProvider;
  appFolders: readonly AppFolder[];
  print: (line: string) => void;
  timeoutMs?: number;
}

/** Publishes the demo story and prints, per user, the folders and the provider's groups after each step. */
export async function runDemo(deps: DemoDeps): Promise<void> {
  const label = PROVIDER_LABELS[deps.provider.name] ?? deps.provider.name;
  await printState(deps, `Before: what ${label} shows`);
  for (const phase of demoPhases()) {
    const res = await publishMany(deps.events, phase.events);
    deps.print(`\n▶ ${phase.title}\n  published ${res.accepted} events`);
    await waitInSync(deps);
    await printState(deps, 'Now');
  }
  deps.print(`\nThe groups above are what every ${label} client of these users now shows, on every device.`);
}

async function waitInSync(deps: DemoDeps): Promise<void> {
  const deadline = Date.now() + (deps.timeoutMs ?? 30_000);
  // give the events time to be folded (they are in the queue now), then poll the plans
  for (;;) {
    const pending = await Promise.all(
      DEMO_USERS.map(async (u) => {
        const s = await accountStatus(u, deps.store, deps.appFolders, deps.provider, Date.now());
        return s.plan.length + (s.lastSyncAt === undefined ? 1 : 0);
      }),
    );
    const queued = await deps.events.getJobCounts('waiting', 'active', 'delayed');
    if (pending.every((p) => p === 0) && Object.values(queued).every((c) => c === 0)) return;
    if (Date.now() > deadline) throw new Error('the demo did not converge in time: is a worker running?');
    await sleep(100);
  }
}

async function printState(deps: DemoDeps, heading: string): Promise<void> {
  const label = PROVIDER_LABELS[deps.provider.name] ?? deps.provider.name;
  deps.print(`\n── ${heading} ──`);
  for (const user of DEMO_USERS) {
    const status = await accountStatus(user, deps.store, deps.appFolders, deps.provider, Date.now());
    const groups = await deps.provider.listGroups(user);
    const members = await deps.provider.members(
      user,
      groups.map((g) => g.groupId),
    );
    deps.print(`${user}`);
    const wanted = status.folders.filter((f) => f.desired > 0 || f.groupId);
    deps.print(`  folders (rules):  ${wanted.map((f) => `${f.groupName} (${f.desired})`).join(', ') || '—'}`);
    if (groups.length === 0) deps.print(`  ${`${label} groups:`.padEnd(17)} —`);
    for (const g of groups) {
      const ids = [...(members.get(g.groupId) ?? [])].sort();
      deps.print(`  ${label} group #${g.groupId} "${g.name}": ${ids.join(', ') || '(empty)'}`);
    }
  }
}
