import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';
import { CLI } from '../support/processes.js';

const run = promisify(execFile);
let e: Engine;
beforeAll(async () => {
  e = await startEngine();
});
afterAll(() => e?.close());

const cli = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], {
    env: {
      ...process.env,
      REDIS_URL: e.config.REDIS_URL,
      QUEUE_PREFIX: e.config.QUEUE_PREFIX,
      PARTITIONS: String(e.config.PARTITIONS),
      FOLDER_RULES: e.config.FOLDER_RULES,
    },
  });

/** Drift made in a client: a foreign member added to our group, one of ours removed. */
async function drift(account: string): Promise<void> {
  const client = new YunxinClient({ ...DEMO_APP, endpoints: [e.sim.url] });
  const [group] = e.sim.state.snapshot(account);
  e.sim.state.seedConversations([`${account}|1|stranger`]); // the user chatted with the stranger
  await client.updateGroup({
    accountId: account,
    groupId: group!.groupId,
    membership: { op: 'add', conversationIds: [`${account}|1|stranger`] },
  });
  await client.updateGroup({
    accountId: account,
    groupId: group!.groupId,
    membership: { op: 'remove', conversationIds: [`${account}|2|c`] },
  });
  await client.close();
}

describe('folder-sync resync, status and plan', () => {
  it('resync --account repairs drift; status and plan show the state', async () => {
    await e.publish(['x1', 'x2'].map((a) => ev('conversation.tagged', a, { ...team('c'), tag: 'customer' })));
    await e.eventually(() => {
      for (const a of ['x1', 'x2']) expect(e.groups(a)).toEqual({ Customers: ['2|c'] });
    });
    await drift('x1');
    await drift('x2');
    // the ledger does not know about the drift: a plan sees nothing to do
    expect((await cli('plan', '--account', 'x1')).stdout).toContain('in sync: no calls needed');

    expect((await cli('resync', '--account', 'x1')).stdout).toContain('resync of x1 queued');
    await e.eventually(() => expect(e.groups('x1')).toEqual({ Customers: ['2|c'] }));
    expect(e.groups('x2')).toEqual({ Customers: ['1|stranger'] }); // not asked

    expect((await cli('resync', '--all')).stdout).toContain('resync of every known account queued');
    await e.eventually(() => expect(e.groups('x2')).toEqual({ Customers: ['2|c'] }));

    const status = JSON.parse((await cli('status', '--account', 'x2', '--json')).stdout);
    expect(status).toMatchObject({ account: 'x2', plan: [], resyncRequested: false });
    expect(status.folders.find((f: { folder: string }) => f.folder === 'app:customers')).toMatchObject({
      desired: 1,
      synced: 1,
      pendingCalls: 0,
    });
    const text = (await cli('status', '--account', 'x2')).stdout;
    expect(text).toMatch(/app:customers "Customers" group \d+: 1\/1 synced, 0 calls pending/);

    const usage = await cli('resync').catch((error: { code: number; stderr: string }) => error);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('exactly one of --account') });
  }, 60_000);
});
