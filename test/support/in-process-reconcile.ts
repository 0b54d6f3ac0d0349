/**
 * reconcileAccount run by the test itself against an engine started with `noWorkers`: the
 * store, the app-wide gate, the real provider, and deps for any provider a test wraps it in
 * (to freeze or kill a run at an exact point). `close` closes the real provider.
 */
import { keysOf } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createProvider } from '../../src/provider/create-provider.js';
import type { GroupProvider } from '../../src/provider/types.js';
import { checkCallGuard } from '../../src/reconcile/call-guard.js';
import type { ReconcileDeps } from '../../src/reconcile/reconcile.js';
import { loadRulesFile } from '../../src/rules/load.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { AccountStore } from '../../src/store/account-store.js';
import { CallGate } from '../../src/store/call-gate.js';
import { withScripts } from '../../src/store/scripts.js';
import { type Engine, fixedFleet } from './engine.js';

export async function inProcessReconcile(engine: Engine<SimulatorBase>, opts: { leaseMs: number }) {
  const redis = withScripts(engine.redis);
  const keys = keysOf(engine.config);
  const store = new AccountStore(redis, keys);
  const log = createLogger({ level: 'silent', name: 'test' });
  const gate = new CallGate(redis, keys, { perSecond: 1000, pauseBaseMs: 50, pauseMaxMs: 500 });
  const real = createProvider(engine.config, { beforeCall: checkCallGuard, onCall: () => {}, log });
  const { rules } = await loadRulesFile(engine.config.FOLDER_RULES);
  const deps = (provider: GroupProvider): ReconcileDeps => ({
    store,
    provider,
    gate,
    ...fixedFleet(rules),
    now: Date.now,
    random: Math.random,
    retry: { baseMs: 50, maxMs: 500 },
    log,
    leaseMs: opts.leaseMs,
  });
  return { redis, keys, log, real, deps, close: () => real.close() };
}
