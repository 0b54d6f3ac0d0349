/**
 * The reliability suite's knobs: `RELIABILITY_PROFILE=quick|full` (default quick) sizes every
 * scenario, `RELIABILITY_SEED` replays a run (every scenario derives its randomness from it and
 * prints it). See docs/reliability.md.
 */
import { prng } from '../support/folder-model.js';

export type ProfileName = 'quick' | 'full';

export interface Profile {
  name: ProfileName;
  sigkill: {
    /** ordinary accounts (about 24 conversations each) */
    accounts: number;
    /** accounts with 150..300 members in one folder: creates and adds in batches of 100 */
    bigAccounts: number;
    /** event bursts after the initial one */
    bursts: number;
    kills: number;
    /** provider calls per second (PROVIDER_RATE_LIMIT and the simulator's bucket) */
    rate: number;
  };
  redis: { accounts: number; restarts: number; rate: number };
  faults: { accounts: number; bursts: number; rate: number };
  /** runs: fast-check runs; streams: requests of mixed events; bigBody: the amplification body */
  badInput: { runs: number; streams: number; bigBody: number };
}

const PROFILES: Record<ProfileName, Profile> = {
  quick: {
    name: 'quick',
    sigkill: { accounts: 30, bigAccounts: 2, bursts: 4, kills: 8, rate: 60 },
    redis: { accounts: 24, restarts: 3, rate: 80 },
    faults: { accounts: 24, bursts: 3, rate: 60 },
    badInput: { runs: 150, streams: 3, bigBody: 256 * 1024 },
  },
  full: {
    name: 'full',
    sigkill: { accounts: 60, bigAccounts: 6, bursts: 10, kills: 40, rate: 60 },
    redis: { accounts: 40, restarts: 6, rate: 80 },
    faults: { accounts: 48, bursts: 5, rate: 60 },
    badInput: { runs: 1500, streams: 10, bigBody: 1024 * 1024 },
  },
};

function readProfile(): Profile {
  const raw = (process.env.RELIABILITY_PROFILE ?? 'quick').trim().toLowerCase();
  if (raw !== 'quick' && raw !== 'full') {
    throw new Error(`RELIABILITY_PROFILE: expected quick or full, got ${JSON.stringify(raw)}`);
  }
  return PROFILES[raw];
}

function readSeed(): number {
  const raw = process.env.RELIABILITY_SEED?.trim();
  if (!raw) return (Date.now() ^ (process.pid << 16)) >>> 0;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`RELIABILITY_SEED: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return seed >>> 0;
}

export const PROFILE = readProfile();
export const SEED = readSeed();

/**
 * A PRNG of one scenario, derived from the run's seed and the scenario's name (so adding a
 * scenario does not change another's sequence), announced on stdout for replay.
 */
export function scenarioRandom(scenario: string): () => number {
  let h = SEED ^ 0x9e3779b9;
  for (let i = 0; i < scenario.length; i++) h = Math.imul(h ^ scenario.charCodeAt(i), 0x01000193) >>> 0;
  console.log(
    `[reliability] ${scenario}: profile=${PROFILE.name} seed=${SEED} ` +
      `(replay: RELIABILITY_PROFILE=${PROFILE.name} RELIABILITY_SEED=${SEED} npm run test:reliability)`,
  );
  return prng(h);
}

/** A line for the run's summary (kept in stdout; docs/reliability.md quotes them). */
export function report(scenario: string, facts: Record<string, unknown>): void {
  const parts = Object.entries(facts).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  console.log(`[reliability] ${scenario}: ${parts.join(' ')}`);
}
