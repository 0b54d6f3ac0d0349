import type { Scenario } from '../lib/scenario.js';
import { apiEconomy } from './api-economy.js';
import { cluster } from './cluster.js';
import { latency } from './latency.js';
import { providers } from './providers.js';
import { queueCeiling } from './queue-ceiling.js';
import { quota } from './quota.js';
import { reconcileCost } from './reconcile-cost.js';
import { recovery } from './recovery.js';
import { scale } from './scale.js';
import { scaleOut } from './scale-out.js';
import { verification } from './verification.js';

/** In the order they run and appear in docs/benchmarks.md. */
export const SCENARIOS: readonly Scenario<unknown>[] = [
  queueCeiling,
  apiEconomy,
  quota,
  latency,
  scale,
  scaleOut,
  providers,
  verification,
  reconcileCost,
  cluster,
  recovery,
];
