/**
 * Conversations the rules select that do not exist in Yunxin yet (provider-apis.md §A5.7): real
 * worker processes create exactly those, and add them. The group-members endpoint is opted in
 * but the server does not offer it (404): read-backs fall back to the documented scan.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';
import { expectedFolders, prng } from '../support/folder-model.js';
import { convergedTo, printTails, WorkerProcesses, workerEnv } from '../support/worker-processes.js';

let engine: Engine<SimulatorBase> | undefined;
const procs = new WorkerProcesses();
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') printTails(procs.outputs());
  await procs.stopAll();
  await engine?.close();
  engine = undefined;
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('conversations that do not exist yet', () => {
  it('30 % of the selected ones missing, the group endpoint absent: every account converges, exactly those are created', async () => {
    engine = await startEngine({ noWorkers: true, seedConversations: false });
    const e = engine;
    const sim = e.sim as Simulator;
    const rand = prng(20_261_130);
    const accounts = range(20).map((i) => `miss-${i}`);
    const events = accounts.flatMap((a) =>
      range(6).flatMap((i) => [
        ev('conversation.upserted', a, {
          ...team(`p${i}`),
          attributes: { kind: 'project', pinned: i % 2 === 0 },
        }),
        ev('conversation.tagged', a, { ...team(`c${i}`), tag: i % 3 ? 'customer' : 'other' }),
        ev('conversation.upserted', a, { ...p2p(`u${i}`), attributes: {} }),
      ]),
    );
    const expected = expectedFolders(events);
    const selected = [...expected].flatMap(([a, folders]) =>
      [...new Set(Object.values(folders).flat())].map((key) => `${a}|${key}`),
    );
    const missing = new Set(selected.filter(() => rand() < 0.3));
    sim.state.seedConversations(selected.filter((id) => !missing.has(id)));
    expect(missing.size).toBeGreaterThan(selected.length * 0.2);

    const env = workerEnv(e.config, { YUNXIN_GROUP_CONVERSATIONS_ENDPOINT: 'true' });
    await Promise.all([procs.start(env), procs.start(env)]);
    await e.publish(events);
    const converged = () => convergedTo(e, expected);
    await converged();
    // read every account back: the opted-in endpoint answers 404, the scan takes over
    const resyncAt = Date.now();
    await e.publish(accounts.map((a) => ev('account.resync', a)));
    await e.eventually(async () => {
      for (const a of accounts) {
        const verifiedAt = Number(await e.redis.hget(keysOf(e.config).status(a), 'verifiedAt'));
        expect(verifiedAt, a).toBeGreaterThan(resyncAt);
      }
    }, 30_000);
    await converged();

    expect([...sim.state.createdByApi].sort()).toEqual([...missing].sort());
    const calls = e.sim.calls.snapshot().byEndpoint;
    expect(calls['group.conversations']).toBeUndefined(); // refused with HTTP 404 before routing
    expect(calls['conversation.list']?.[200]).toBeGreaterThanOrEqual(accounts.length);
    expect(calls['conversation.create']).toEqual({ 200: missing.size });
    console.log(
      `missing conversations: ${missing.size} of ${selected.length} selected were missing; ${sim.state.createdByApi.size} created`,
    );
  });
});
