/**
 * Rules across a fleet of real `folder-sync worker` processes: a rolling deploy with new rules,
 * a rules file edited in place and reverted, a destructive edit held until confirmed. Expected
 * groups come from the independent model in test/support/folder-model.ts.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOB_NAMES, openQueue, QUEUES } from '../../src/jobs/queues.js';
import { freePort, getJson } from '../support/compose.js';
import { ev, team } from '../support/engine.js';
import { conversationsByAccount, exampleRules } from '../support/folder-model.js';
import {
  filledAccount as account,
  type Event,
  expectConverged,
  processScenario,
  range,
} from '../support/process-scenarios.js';
import { spawnCli } from '../support/processes.js';
import { workerEnv } from '../support/worker-processes.js';

const scenario = processScenario();
const { procs } = scenario;
afterEach(scenario.cleanUp);

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

describe('rules across the fleet', () => {
  it('a rolling deploy: old and new workers overlap while events flow, then every account runs the new rules', async () => {
    const e = await scenario.start();
    const oldEnv = workerEnv(e.config, {
      FOLDER_RULES: rulesFile({ version: 1, folders: EXAMPLE_FOLDERS }),
      RULES_MAX_DELETE_SHARE: '1', // the operator allowed dropping a folder
    });
    const newEnv = { ...oldEnv, FOLDER_RULES: rulesFile({ version: 2, folders: RULES_B_FOLDERS }) };
    const old = await Promise.all([procs.start(oldEnv), procs.start(oldEnv)]);
    const accounts = range(12).map((i) => `roll-${i}`);
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
    await e.eventually(() => expectConverged(e, expected), 60_000);
    console.log(`rolling deploy: converged ${Date.now() - stoppedAt} ms after the old workers stopped`);
    for (const a of accounts) {
      for (const g of e.snapshot(a)) expect(g.names!.length, `${a} ${g.names}`).toBeLessThanOrEqual(2);
    }
  });

  it('A → B → A: every change re-reconciles the fleet once, the revert too', async () => {
    const e = await scenario.start();
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
    const e = await scenario.start();
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
    // an observation window (the file is checked every 2 s): it runs while the change is looked at
    const window = new Promise((resolve) => setTimeout(resolve, 2_500));
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
    await window;
    expect(accounts.map((a) => e.groups(a))).toEqual(groupsBefore);
    expect(e.sim.calls.count('group.delete')).toBe(0);

    const confirm = spawnCli(['rules', 'confirm', '2'], env);
    expect(await confirm.exited).toBe(0);
    await e.eventually(() => {
      for (const a of accounts) expect(e.groups(a)).toEqual({});
    }, 20_000);
  });
});
