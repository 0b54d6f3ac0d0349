import { afterEach, describe, expect, it } from 'vitest';
import { TIMEOUT_BUDGET } from '../../src/provider/latency-budget.js';
import type { TencentSimulatorOptions } from '../../src/simulators/tencent/server.js';
import type { ContactKey } from '../../src/tencent/contact.js';
import { CONFIGURATION_CODES, classifyCode } from '../../src/tencent/error-codes.js';
import {
  fetchJson,
  refusedPort,
  rejectionOf,
  type TencentHarness,
  tencentWithClient,
} from '../support/simulator.js';

let h: TencentHarness | undefined;
const extra: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of extra.splice(0)) await c.close();
});
const start = async (opts: TencentSimulatorOptions = {}, clientOpts = {}) => {
  h = await tencentWithClient(opts, clientOpts);
  return h;
};
const k = (...keys: string[]) => keys as ContactKey[];

describe('rate limiting', () => {
  it('answers 60007 past the bucket, classified rate_limited, and tracks the peak per second', async () => {
    const t = Date.now(); // a frozen clock: all 50 arrive inside one instant
    const { sim, client } = await start({ now: () => t, rateLimit: { perSecond: 20 } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.listAll('a')));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(30);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 60007, kind: 'rate_limited' });
    const stats = sim.calls.snapshot();
    expect(stats.peakPerSecond).toBe(50);
    expect(stats.peakAcceptedPerSecond).toBe(20);
    expect(stats.rateLimited).toBe(30);
  });

  it('every documented rate-limit code is rate_limited (one table, src/tencent/error-codes.ts)', () => {
    for (const code of [60007, 60011, 60018, 60019]) expect(classifyCode(code)).toBe('rate_limited');
    for (const code of [50004, 50005, 60008]) expect(classifyCode(code)).toBe('transient');
    for (const code of [50001, 50002, 50003, 51006, 51009, 51010, 51011, 60010, 70001, 70009, 12345]) {
      expect(classifyCode(code)).toBe('permanent');
    }
  });

  it('60004, 60005 and 70050 are configuration errors: permanent, and surfaced as such', () => {
    for (const code of [60004, 60005, 70050]) {
      expect(classifyCode(code)).toBe('permanent');
      expect(CONFIGURATION_CODES.has(code)).toBe(true);
    }
  });

  it('blocks a command for blockMs after a 60007, per command, and injects storms on demand', async () => {
    let t = Date.now();
    const { sim, client } = await start({ now: () => t, rateLimit: { perSecond: 2, blockMs: 1000 } });
    await client.listAll('a');
    await client.listAll('a');
    expect(await rejectionOf(client.listAll('a'))).toMatchObject({ kind: 'rate_limited' });
    t += 600;
    expect(await rejectionOf(client.listAll('a'))).toMatchObject({ code: 60007 });
    expect(await client.search({ account: 'a', contacts: k('1|x') })).toMatchObject({ groups: [] });
    t += 1100;
    expect(await client.listAll('a')).toEqual({ groups: [], contacts: [] });
    sim.setFaults({ rateLimitRate: 1 });
    expect(await rejectionOf(client.listAll('a'))).toMatchObject({ code: 60007, kind: 'rate_limited' });
  });
});

describe('server errors and ambiguity', () => {
  it('a 50004/50005 ErrorCode is transient', async () => {
    const { client } = await start({ faults: { serverErrorRate: 1 } });
    const err = await rejectionOf(client.listAll('a'));
    expect([50004, 50005]).toContain(err.code);
    expect(err).toMatchObject({ kind: 'transient', httpStatus: undefined });
  });

  it('an HTTP 500 (a gateway) is transient for reads but ambiguous for a create', async () => {
    const { client } = await start({ faults: { serverErrorRate: 1, serverErrorAs: 'http' } });
    expect(await rejectionOf(client.listAll('a'))).toMatchObject({ kind: 'transient', httpStatus: 500 });
    expect(
      await rejectionOf(client.createGroup({ account: 'a', name: 'g', contacts: k('1|x') })),
    ).toMatchObject({
      kind: 'ambiguous',
      httpStatus: 500,
    });
  });

  it('apply-then-stall on create: the group exists, the client reports ambiguous', async () => {
    const { sim, client } = await start(
      // held far past the headers timeout, which undici checks on a ~0.5 s tick: an answer
      // held 1 s once came before the 150 ms timeout fired on a loaded machine
      { faults: { stallRate: 1, stallMs: 30_000 } },
      { headersTimeoutMs: 150 },
    );
    const err = await rejectionOf(client.createGroup({ account: 'a', name: 'Projects', contacts: k('1|b') }));
    expect(err).toMatchObject({
      kind: 'ambiguous',
      code: -2,
      endpoint: 'POST /v4/recentcontact/create_contact_group',
    });
    expect(sim.state.snapshot('a')).toMatchObject([{ name: 'Projects', members: ['1|b'] }]);
  });

  it('a stalled idempotent call is a plain transient timeout', async () => {
    // undici checks header timeouts every ~0.5 s: 150 ms end within about 1 s, long before
    // this answer, however loaded the machine
    const { client } = await start({ faults: { latencyMs: 30_000 } }, { headersTimeoutMs: 150 });
    expect(await rejectionOf(client.listAll('a'))).toMatchObject({ kind: 'transient', code: -2 });
  });

  it('transient items come back per conversation with ResultCode 50004, classified transient', async () => {
    const { client } = await start({ faults: { itemTransientRate: 1 } });
    const res = await client.createGroup({ account: 'a', name: 'g', contacts: k('1|x', '2|y') });
    expect(res.succeeded).toEqual([]);
    expect(res.failed.map((f) => [f.contact, f.code, f.kind])).toEqual([
      ['1|x', 50004, 'transient'],
      ['2|y', 50004, 'transient'],
    ]);
  });
});

describe('adaptive timeouts', () => {
  it('once creates answer in ~50 ms, a stalled one costs about the floor, not the configured 10 s', async () => {
    const { floorMs, minSamples } = TIMEOUT_BUDGET;
    const { sim, client } = await start({ faults: { latencyMs: 50 } });
    const createIn = (account: string) =>
      client.createGroup({ account, name: 'Projects', contacts: k('1|b') });
    for (let i = 0; i < minSamples; i++) await createIn(`warm-${i}`);
    sim.setFaults({ stallRate: 1, stallMs: 15_000 });
    const started = performance.now();
    const err = await rejectionOf(createIn('a'));
    const cost = performance.now() - started;
    expect(cost).toBeGreaterThanOrEqual(floorMs - 50);
    expect(cost).toBeLessThan(5_000); // not the configured 10 s (timer ticks and load add to the floor)
    expect(err).toMatchObject({
      kind: 'ambiguous',
      code: -2,
      endpoint: 'POST /v4/recentcontact/create_contact_group',
    });
    expect(err.msg).toMatch(/^timeout after 1000 ms \(adaptive, p99 \d+ ms\) waiting for the answer/);
    expect(err.traceId).toMatch(/^\d+$/);
    expect(sim.state.snapshot('a')).toMatchObject([{ name: 'Projects', members: ['1|b'] }]);
  });
});

describe('fail-over', () => {
  it('goes to the backup domain when the primary refuses connections, for creates too', async () => {
    const { sim } = await start();
    const viaBackup = await tencentWithClient(
      {},
      { endpoints: [`http://127.0.0.1:${await refusedPort()}`, sim.url] },
    );
    extra.push(viaBackup);
    const { group } = await viaBackup.client.createGroup({ account: 'a', name: 'g', contacts: k('1|x') });
    expect((await viaBackup.client.listAll('a')).groups).toEqual([group]);
    expect(sim.calls.snapshot().total).toBe(2);
  });

  it('does not fail over on business errors', async () => {
    const { sim: primary } = await start();
    const backup = await tencentWithClient();
    extra.push(backup);
    const both = await tencentWithClient({}, { endpoints: [primary.url, backup.sim.url] });
    extra.push(both);
    await rejectionOf(both.client.deleteGroup({ account: 'a', name: 'none' }));
    expect(primary.calls.snapshot().total).toBe(1);
    expect(backup.sim.calls.snapshot().total).toBe(0);
  });
});

describe('admin endpoints', () => {
  it('change faults and show state and calls over HTTP, like the Yunxin simulator', async () => {
    const { sim, client } = await start();
    await client.createGroup({ account: 'a', name: 'g', contacts: k('1|x') });
    const patch = await fetchJson(`${sim.url}/_sim/faults`, {
      method: 'PATCH',
      body: JSON.stringify({ rateLimitRate: 1 }),
    });
    expect(patch.rateLimitRate).toBe(1);
    expect(await rejectionOf(client.listAll('a'))).toMatchObject({ code: 60007 });
    expect(await fetchJson(`${sim.url}/_sim/accounts`)).toEqual({ accounts: ['a'] });
    expect((await fetchJson(`${sim.url}/_sim/accounts/a/groups`)).groups).toMatchObject([
      { groupId: '1', name: 'g', members: ['1|x'] },
    ]);
    const calls = await fetchJson(`${sim.url}/_sim/calls`);
    expect(calls.byEndpoint).toEqual({ 'group.create': { 0: 1 }, 'group.list': { 60007: 1 } });
    const bad = await fetch(`${sim.url}/_sim/faults`, {
      method: 'PATCH',
      body: JSON.stringify({ stallEndpoints: ['group.get'] }),
    });
    expect(bad.status).toBe(400); // group.get is a Yunxin endpoint, not a Tencent command
    const off = await tencentWithClient({ admin: false });
    extra.push(off);
    expect((await fetch(`${off.sim.url}/_sim/calls`)).status).toBe(404);
  });
});
