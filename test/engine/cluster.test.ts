/**
 * A real 3-master Redis Cluster (test/support/global-setup.ts): two worker processes on it
 * converge every account with no duplicate, and the accounts' keys and queues spread over every
 * master, since each partition has a hash tag (a slot) of its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nodesOf } from '../../src/jobs/connection.js';
import { deploymentPatterns } from '../../src/redis/delete-prefix.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';
import { expectedFolders } from '../support/folder-model.js';
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

describe('on a 3-master Redis Cluster', () => {
  it('two worker processes converge every account; keys and queues spread over every master', async () => {
    // 16 partitions: 16 slots, spread over the three masters (a few could miss one)
    engine = await startEngine({ redis: 'cluster', noWorkers: true, env: { PARTITIONS: '16' } });
    const e = engine;
    const accounts = range(48).map((i) => `cl-${i}`);
    const events = accounts.flatMap((a) =>
      range(4).flatMap((i) => [
        ev('conversation.upserted', a, { ...team(`p${i}`), attributes: { kind: 'project', pinned: true } }),
        ev('conversation.tagged', a, { ...team(`c${i}`), tag: 'customer' }),
        ev('conversation.upserted', a, { ...p2p(`u${i}`), attributes: {} }),
      ]),
    );
    const env = workerEnv(e.config);
    await Promise.all([procs.start(env), procs.start(env)]);
    expect((await e.publish(events)).accepted).toBe(events.length);
    const expected = expectedFolders(events);
    await convergedTo(e, expected);

    // every master holds a share of the deployment: its keys and BullMQ's, by partition slot
    const perNode = await Promise.all(
      nodesOf(e.redis).map(async (node) => {
        let n = 0;
        for (const pattern of deploymentPatterns(e.config.QUEUE_PREFIX)) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            n += keys.length;
          } while (cursor !== '0');
        }
        return n;
      }),
    );
    expect(perNode).toHaveLength(3);
    const total = perNode.reduce((a, b) => a + b, 0);
    for (const n of perNode) expect(n, `keys per master ${perNode}`).toBeGreaterThan(total / 10);
    console.log(`cluster: ${accounts.length} accounts, keys per master ${perNode.join(' / ')}`);
  });
});
