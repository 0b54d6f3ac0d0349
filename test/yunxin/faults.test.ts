import { afterEach, describe, expect, it } from 'vitest';
import { TIMEOUT_BUDGET } from '../../src/provider/latency-budget.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import type { SimulatorOptions } from '../../src/simulators/yunxin/server.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import {
  fetchJson,
  refusedPort,
  rejectionOf,
  type SimulatorHarness,
  simulatorWithClient,
} from '../support/simulator.js';

let h: SimulatorHarness | undefined;
const extra: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of extra.splice(0)) await c.close();
});
const start = async (opts: SimulatorOptions = {}, clientOpts = {}) => {
  h = await simulatorWithClient(opts, clientOpts);
  return h;
};

describe('rate limiting', () => {
  it('answers 416 past the bucket, classified rate_limited, and tracks the peak per second', async () => {
    const t = Date.now(); // a frozen clock: all 50 arrive inside one instant
    const { sim, client } = await start({ now: () => t, rateLimit: { perSecond: 20 } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.listGroups('a')));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(30);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 416, kind: 'rate_limited' });
    const stats = sim.calls.snapshot();
    expect(stats.peakPerSecond).toBe(50);
    expect(stats.peakAcceptedPerSecond).toBe(50 - refused.length);
    expect(stats.rateLimited).toBe(refused.length);
  });

  it('blocks an endpoint for blockMs after a 416, then lets calls through again', async () => {
    let t = Date.now();
    const { client } = await start({ now: () => t, rateLimit: { perSecond: 2, blockMs: 1000 } });
    await client.listGroups('a');
    await client.listGroups('a');
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ kind: 'rate_limited' });
    t += 600; // a token is back, but the blocking period holds
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ code: 416 });
    t += 1100;
    expect(await client.listGroups('a')).toEqual([]);
    // limits are per endpoint: another API was never blocked
    expect(await client.batchGetGroups({ accountId: 'a', groupIds: ['1'] })).toMatchObject({ groups: [] });
  });

  it('injects a 416 storm on demand', async () => {
    const { sim, client } = await start({ faults: { rateLimitRate: 1 } });
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ code: 416, kind: 'rate_limited' });
    sim.setFaults({ rateLimitRate: 0 });
    expect(await client.listGroups('a')).toEqual([]);
  });
});

describe('server errors and ambiguity', () => {
  it('a 500/503 business code is transient', async () => {
    const { client } = await start({ faults: { serverErrorRate: 1 } });
    const err = await rejectionOf(client.listGroups('a'));
    expect([500, 503]).toContain(err.code);
    expect(err).toMatchObject({ kind: 'transient', httpStatus: undefined });
  });

  it('an HTTP 503 is transient for reads but ambiguous for a create (it may sit behind an applied create)', async () => {
    const { client } = await start({
      faults: { serverErrorRate: 1, serverErrorAs: 'http', serverErrorCodes: [503] },
    });
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ kind: 'transient', httpStatus: 503 });
    expect(await rejectionOf(client.createGroup({ accountId: 'a', name: 'g' }))).toMatchObject({
      kind: 'ambiguous',
      httpStatus: 503,
    });
  });

  it('apply-then-stall on create: the group exists, the client reports ambiguous', async () => {
    const { sim, client } = await start(
      // held far past the headers timeout, which undici checks on a ~0.5 s tick: an answer
      // held 1 s once came before the 150 ms timeout fired on a loaded machine
      { faults: { stallRate: 1, stallMs: 30_000 } },
      { headersTimeoutMs: 150 },
    );
    const err = await rejectionOf(
      client.createGroup({ accountId: 'a', name: 'Projects', conversationIds: ['a|1|b'] }),
    );
    expect(err).toMatchObject({ kind: 'ambiguous', code: -2, endpoint: 'POST /im/v2/conversation_groups' });
    expect(sim.state.snapshot('a')).toMatchObject([{ name: 'Projects', members: ['a|1|b'] }]);
  });

  it('a stalled idempotent call is a plain transient timeout', async () => {
    // undici checks header timeouts every ~0.5 s: 150 ms end within about 1 s, long before
    // this answer, however loaded the machine
    const { client } = await start({ faults: { latencyMs: 30_000 } }, { headersTimeoutMs: 150 });
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ kind: 'transient', code: -2 });
  });

  it('transient failed_list items (110449) come back per id, classified transient', async () => {
    const { client } = await start({ faults: { itemTransientRate: 1 } });
    const res = await client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|1|x', 'a|1|y'] });
    expect(res.succeeded).toEqual([]);
    expect(res.failed.map((f) => [f.conversationId, f.code, f.kind])).toEqual([
      ['a|1|x', 110449, 'transient'],
      ['a|1|y', 110449, 'transient'],
    ]);
  });
});

describe('adaptive timeouts', () => {
  const { floorMs, minSamples } = TIMEOUT_BUDGET;
  const createIn = (client: YunxinClient, account: string) =>
    client.createGroup({ accountId: account, name: 'Projects', conversationIds: [`${account}|1|b`] });

  it('once creates answer in ~50 ms, a stalled one costs about the floor, not the configured 10 s', async () => {
    const budgets: Array<[string, number]> = [];
    const { sim, client } = await start(
      { faults: { latencyMs: 50 } },
      { onTimeoutBudget: (endpoint: string, ms: number) => budgets.push([endpoint, ms]) },
    );
    for (let i = 0; i < minSamples; i++) await createIn(client, `warm-${i}`);
    sim.setFaults({ stallRate: 1, stallMs: 15_000 });
    const started = performance.now();
    const err = await rejectionOf(createIn(client, 'a'));
    const cost = performance.now() - started;
    expect(cost).toBeGreaterThanOrEqual(floorMs - 50);
    expect(cost).toBeLessThan(5_000); // not the configured 10 s (timer ticks and load add to the floor)
    expect(err).toMatchObject({ kind: 'ambiguous', code: -2, endpoint: 'POST /im/v2/conversation_groups' });
    expect(err.msg).toMatch(/^timeout after 1000 ms \(adaptive, p99 \d+ ms\) waiting for the answer/);
    expect(err.traceId).toMatch(/^[0-9a-f]{32}$/);
    // the create was applied: the ambiguous answer leaves it for the read-back to adopt
    expect(sim.state.snapshot('a')).toMatchObject([{ name: 'Projects', members: ['a|1|b'] }]);
    expect(budgets).toEqual([
      ['group.create', 10_000],
      ['group.create', floorMs],
      ['group.create', 2 * floorMs],
    ]);
  });

  it('a provider slow for real costs one timeout, then its answers come within the doubled budget', async () => {
    const { sim, client } = await start({ faults: { latencyMs: 20 } });
    for (let i = 0; i < minSamples; i++) await client.listGroups('a');
    // past the 1 s budget (which undici ends within 1.5 s), within the doubled 2 s
    sim.setFaults({ latencyMs: 1_750 });
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ kind: 'transient', code: -2 });
    for (let i = 0; i < 2; i++) expect(await client.listGroups('a')).toEqual([]);
  });
});

describe('fail-over', () => {
  it('goes to the backup endpoint when the primary refuses connections, for creates too', async () => {
    const { sim } = await start();
    const client = new YunxinClient({
      ...DEMO_APP,
      endpoints: [`http://127.0.0.1:${await refusedPort()}`, sim.url],
    });
    extra.push(client);
    const { group } = await client.createGroup({ accountId: 'a', name: 'g' });
    expect(await client.listGroups('a')).toMatchObject([{ groupId: group.groupId }]);
    expect(sim.calls.snapshot().total).toBe(2);
  });

  it('with every endpoint down the error names the last one tried and is transient', async () => {
    const port = await refusedPort();
    const client = new YunxinClient({ ...DEMO_APP, endpoints: [`http://127.0.0.1:${port}`] });
    extra.push(client);
    const err = await rejectionOf(client.createGroup({ accountId: 'a', name: 'g' }));
    expect(err).toMatchObject({ kind: 'transient', code: -1, baseUrl: `http://127.0.0.1:${port}` });
  });

  it('does not fail over on business errors', async () => {
    const { sim: primary } = await start();
    const backup = await simulatorWithClient();
    extra.push(backup);
    const client = new YunxinClient({ ...DEMO_APP, endpoints: [primary.url, backup.sim.url] });
    extra.push(client);
    await rejectionOf(client.getGroup({ accountId: 'a', groupId: '1' }));
    expect(primary.calls.snapshot().total).toBe(1);
    expect(backup.sim.calls.snapshot().total).toBe(0);
  });
});

describe('admin endpoints', () => {
  it('change faults and show state and calls over HTTP', async () => {
    const { sim, client } = await start();
    await client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|1|x'] });
    const patch = await fetch(`${sim.url}/_sim/faults`, {
      method: 'PATCH',
      body: JSON.stringify({ rateLimitRate: 1 }),
    });
    expect(((await patch.json()) as { rateLimitRate: number }).rateLimitRate).toBe(1);
    expect(await rejectionOf(client.listGroups('a'))).toMatchObject({ code: 416 });
    const groups = await fetchJson(`${sim.url}/_sim/accounts/a/groups`);
    expect(groups.groups).toMatchObject([{ name: 'g', members: ['a|1|x'] }]);
    const calls = await fetchJson(`${sim.url}/_sim/calls`);
    expect(calls.byEndpoint).toEqual({ 'group.create': { 200: 1 }, 'group.list': { 416: 1 } });
    const bad = await fetch(`${sim.url}/_sim/faults`, {
      method: 'PATCH',
      body: JSON.stringify({ stallRate: 7 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('stallRate');
  });

  it('are off unless enabled, and need the token when one is set', async () => {
    const off = await simulatorWithClient({ admin: false });
    extra.push(off);
    expect((await fetch(`${off.sim.url}/_sim/calls`)).status).toBe(404);
    const { sim } = await start({ adminToken: 's3cret' });
    expect((await fetch(`${sim.url}/_sim/calls`)).status).toBe(401);
    expect(
      (await fetch(`${sim.url}/_sim/calls`, { headers: { authorization: 'Bearer s3cret' } })).status,
    ).toBe(200);
  });
});
