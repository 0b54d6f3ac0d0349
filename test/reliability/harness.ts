/** What the reliability scenarios share: an engine with the rate configured on both sides. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { keysOf } from '../../src/config.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import {
  type AnyEngineOptions,
  type Engine,
  type EngineOptions,
  type ProviderName,
  providerEnv,
  startEngine,
} from '../support/engine.js';
import { printTails, type WorkerProcesses } from '../support/worker-processes.js';
import type { Subject } from './invariants.js';
import type { Event } from './model.js';

/**
 * startEngine with the provider's rate limit (PROVIDER_RATE_LIMIT) = `rate`
 * and the simulator's token bucket at the same rate, so going over the limit would show twice:
 * in the peak and as rate-limit answers.
 */
export function startRateLimitedEngine(rate: number, opts: EngineOptions & { seed: number }): Promise<Engine>;
export function startRateLimitedEngine(
  rate: number,
  opts: AnyEngineOptions & { seed: number },
): Promise<Engine<SimulatorBase>>;
export function startRateLimitedEngine(
  rate: number,
  opts: (EngineOptions | AnyEngineOptions) & { seed: number },
): Promise<Engine<SimulatorBase>> {
  const provider: ProviderName = opts.provider ?? 'yunxin';
  return startEngine({
    ...opts,
    provider,
    sim: { seed: opts.seed, ...opts.sim, rateLimit: { perSecond: rate, ...opts.sim?.rateLimit } },
    env: { ...providerEnv({ rateLimit: rate }), ...opts.env },
  } as AnyEngineOptions);
}

export function subjectOf(engine: Engine<SimulatorBase>, procs?: WorkerProcesses): Subject {
  return {
    sim: engine.sim,
    view: engine,
    redis: engine.redis,
    keys: keysOf(engine.config),
    events: engine.events,
    reconcile: engine.reconcile,
    logs: () => [engine.logs(), ...(procs?.outputs() ?? [])],
  };
}

/**
 * Prints the last lines of every process output (for a failed scenario) and writes the whole
 * outputs to $TMPDIR/folder-sync-reliability/.
 */
export function dumpTails(outputs: readonly string[], lines = 40): void {
  const dir = join(tmpdir(), 'folder-sync-reliability');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  outputs.forEach((output, i) => {
    writeFileSync(join(dir, `${stamp}-process-${i}.log`), output);
  });
  console.error(`full outputs: ${join(dir, `${stamp}-process-*.log`)}`);
  printTails(outputs, lines);
}

/**
 * Publishes in chunks of `size`, one round trip each: validating a whole burst at once would
 * hold this process's event loop for a few hundred ms — and with it the in-process simulator,
 * whose arrival times (the rate measurement) would bunch up.
 */
export async function publishInChunks(
  engine: Engine<SimulatorBase>,
  events: readonly Event[],
  size = 200,
): Promise<{ accepted: number; refused: unknown[] }> {
  let accepted = 0;
  const refused: unknown[] = [];
  for (let i = 0; i < events.length; i += size) {
    const res = await engine.publish(events.slice(i, i + size));
    accepted += res.accepted;
    refused.push(...res.refused);
  }
  return { accepted, refused };
}

/**
 * The longest event-loop stall of this process (the in-process simulator's) since the call, in
 * ms: a stall bunches the simulator's arrival times, so a rate peak is read with it in mind.
 */
export function loopDelayMonitor(): () => number {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return () => Math.round(histogram.max / 1e6);
}

/** A seed for the simulator's fault PRNG, from the scenario's PRNG. */
export const seedFrom = (rand: () => number) => Math.floor(rand() * 2 ** 31);
