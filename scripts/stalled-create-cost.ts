// How long one stalled create costs a worker, with each provider's simulator answering in ~50 ms:
// `npx tsx scripts/stalled-create-cost.ts`. "fixed" is a fresh client, whose budget is the
// configured timeout (what every call waited before adaptive budgets); "adaptive" is the same
// client once its window holds enough create answers. The stalled create is applied either way.
import { TRANSPORT_CODES } from '../src/provider/errors.js';
import { TIMEOUT_BUDGET } from '../src/provider/latency-budget.js';
import { TENCENT_DEMO_APP } from '../src/simulators/tencent/demo-app.js';
import { startTencentSimulator } from '../src/simulators/tencent/server.js';
import { DEMO_APP } from '../src/simulators/yunxin/demo-app.js';
import { startSimulator } from '../src/simulators/yunxin/server.js';
import { TencentClient } from '../src/tencent/client.js';
import type { ContactKey } from '../src/tencent/contact.js';
import { YunxinClient } from '../src/yunxin/client.js';

const CONFIGURED_MS = 10_000;
const LATENCY_MS = 50;

interface Setup {
  sim: { url: string; setFaults(f: object): unknown; close(): Promise<void> };
  create: (account: string) => Promise<unknown>;
  close: () => Promise<void>;
}

async function yunxin(): Promise<Setup> {
  const sim = await startSimulator({ strictConversations: false });
  const client = new YunxinClient({ ...DEMO_APP, endpoints: [sim.url], headersTimeoutMs: CONFIGURED_MS });
  const create = (accountId: string) => client.createGroup({ accountId, name: 'Projects' });
  return { sim, create, close: () => client.close() };
}

async function tencent(): Promise<Setup> {
  const sim = await startTencentSimulator({});
  const { sdkappid, admin: identifier, secretKey } = TENCENT_DEMO_APP;
  const client = new TencentClient({
    sdkappid,
    identifier,
    secretKey,
    endpoints: [sim.url],
    headersTimeoutMs: CONFIGURED_MS,
  });
  const create = (account: string) =>
    client.createGroup({ account, name: 'Projects', contacts: [`1|${account}`] as ContactKey[] });
  return { sim, create, close: () => client.close() };
}

/** Milliseconds until a stalled create times out (its answer comes after 15 s). */
async function stalledCreateMs(s: Setup, account: string): Promise<number> {
  s.sim.setFaults({ stallRate: 1, stallMs: CONFIGURED_MS + 5_000 });
  const started = performance.now();
  const error = await s.create(account).then(
    () => undefined,
    (e: unknown) => e as { code?: number; message?: string },
  );
  s.sim.setFaults({ stallRate: 0 });
  if (error?.code !== TRANSPORT_CODES.timeout) throw new Error(`not a timeout: ${error?.message}`);
  return Math.round(performance.now() - started);
}

async function measure(name: string, start: () => Promise<Setup>): Promise<void> {
  const s = await start();
  s.sim.setFaults({ latencyMs: LATENCY_MS });
  const fixed = await stalledCreateMs(s, 'fixed');
  for (let i = 0; i < TIMEOUT_BUDGET.minSamples; i++) await s.create(`warm-${i}`);
  const adaptive = await stalledCreateMs(s, 'adaptive');
  console.log(`${name.padEnd(8)} ${String(fixed).padStart(9)} ms ${String(adaptive).padStart(9)} ms`);
  await s.close();
  await s.sim.close();
}

console.log(
  `one stalled create, answers otherwise in ${LATENCY_MS} ms, timeout configured ${CONFIGURED_MS} ms`,
);
console.log(`${'provider'.padEnd(8)} ${'fixed'.padStart(12)} ${'adaptive'.padStart(12)}`);
await measure('yunxin', yunxin);
await measure('tencent', tencent);
