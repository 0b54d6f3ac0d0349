/**
 * 8. Continuous verification: how many accounts an hour it re-reads at the default budget
 * (VERIFY_SHARE = 5 % of R = 100), and what it takes from live work — a backlog of changes drained
 * with verification off and on, side by side, alternating which goes first.
 */
import { type BenchEngine, startBenchEngine } from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import { startWorkerProcess } from '../lib/processes.js';
import type { Scenario } from '../lib/scenario.js';
import { median, round } from '../lib/stats.js';
import { now, sleep } from '../lib/time.js';
import { threeFolderEvents } from './quota.js';

const R = 100;
const SHARE = 0.05;

export interface VerificationFigures {
  rate: {
    accounts: number;
    seconds: number;
    verifications: number;
    requests: number;
    perHour: number;
    requestsPerSecond: number;
  };
  drains: Array<{ verification: boolean; changes: number; seconds: number; verifications: number }>;
  median: { drainOff: number; drainOn: number; onOverOff: number };
}

/** Accounts with three folders each, synced with verification off. */
async function seeded(redisUrl: string, label: string, accounts: number): Promise<BenchEngine> {
  const engine = await startBenchEngine({
    redisUrl,
    label,
    env: { PROVIDER_RATE_LIMIT: String(R), VERIFY_SHARE: '0' },
    sim: { rateLimit: { perSecond: R } },
  });
  await engine.publish(
    Array.from({ length: accounts }, (_, i) =>
      threeFolderEvents(`v-${i}`, 1_763_700_000_000 + i * 10),
    ).flat(),
  );
  await engine.idle();
  await engine.workers!.close();
  engine.workers = undefined;
  return engine;
}

/** A worker process with verification on (every account due) or off. */
const worker = (engine: BenchEngine, verify: boolean) =>
  startWorkerProcess(
    engine.workerEnv({ VERIFY_SHARE: verify ? String(SHARE) : '0', VERIFY_MIN_INTERVAL_MS: '0' }),
  );

async function measureRate(redisUrl: string, accounts: number, seconds: number) {
  const engine = await seeded(redisUrl, 'verify-rate', accounts);
  try {
    engine.sim.calls.reset();
    const proc = await worker(engine, true);
    const t0 = now();
    await sleep(seconds * 1000);
    const elapsed = (now() - t0) / 1000;
    await proc.stop();
    const stats = engine.sim.calls.snapshot();
    const verifications = stats.byEndpoint['group.list']?.['200'] ?? 0;
    return {
      accounts,
      seconds: round(elapsed, 1),
      verifications,
      requests: stats.total,
      perHour: Math.round((verifications / elapsed) * 3600),
      requestsPerSecond: round(stats.total / elapsed, 2),
    };
  } finally {
    await engine.close();
  }
}

async function measureDrain(redisUrl: string, accounts: number, verification: boolean) {
  const engine = await seeded(redisUrl, `verify-drain-${verification ? 'on' : 'off'}`, accounts);
  try {
    const proc = await worker(engine, verification);
    engine.sim.calls.reset();
    const t0 = now();
    // one change per account: a new customer conversation (one update call each)
    await engine.publish(
      Array.from({ length: accounts }, (_, i) => ({
        id: `v-${i}-late`,
        type: 'conversation.tagged',
        account: `v-${i}`,
        at: 1_763_800_000_000 + i,
        conversation: { type: 2, target: 'late' },
        tag: 'customer',
      })),
    );
    await engine.idle();
    const seconds = (now() - t0) / 1000;
    const verifications = engine.sim.calls.snapshot().byEndpoint['group.list']?.['200'] ?? 0;
    await proc.stop();
    return { verification, changes: accounts, seconds: round(seconds, 2), verifications };
  } finally {
    await engine.close();
  }
}

export const verification: Scenario<VerificationFigures> = {
  name: 'verification',
  title: '8. Continuous verification',
  expectedSeconds: { quick: 120, full: 330 },
  async run(ctx) {
    const seconds = ctx.profile === 'full' ? 120 : 45;
    const rounds = ctx.profile === 'full' ? 3 : 1;
    const accounts = 1_000;
    const rate = await measureRate(ctx.redisUrl, accounts, seconds);
    ctx.log(`rate: ${rate.verifications} accounts verified in ${rate.seconds} s = ${fmt(rate.perHour)}/h`);
    const drains: VerificationFigures['drains'] = [];
    for (let r = 0; r < rounds; r++) {
      for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
        const d = await measureDrain(ctx.redisUrl, accounts, on);
        drains.push(d);
        ctx.log(
          `drain (verification ${on ? 'on' : 'off'}): ${d.changes} changes in ${d.seconds} s, ${d.verifications} verifications meanwhile`,
        );
      }
    }
    const drainOff = median(drains.filter((d) => !d.verification).map((d) => d.seconds));
    const drainOn = median(drains.filter((d) => d.verification).map((d) => d.seconds));
    const onOverOff = round(drainOn / drainOff, 3);
    const ceiling = (SHARE * R) / 2;
    return {
      params: { R, VERIFY_SHARE: SHARE, VERIFY_MIN_INTERVAL_MS: 0, accounts, rateSeconds: seconds, rounds },
      figures: { rate, drains, median: { drainOff, drainOn, onOverOff } },
      goals: [
        {
          goal: `verification within its budget: ≤ ${ceiling} accounts/s (VERIFY_SHARE × R / 2 requests)`,
          value: `${round(rate.verifications / rate.seconds, 2)} /s`,
          met: rate.verifications / rate.seconds <= ceiling * 1.05,
        },
        {
          goal: `live backlog drain with verification on ≤ 1 / (1 − ${SHARE}) × off`,
          value: `${onOverOff}×`,
          met: onOverOff <= 1 / (1 - SHARE) + 0.03,
        },
      ],
    };
  },
  render(r) {
    const f = r.figures;
    return [
      `${fmt(f.rate.accounts)} accounts with three groups each, synced; then one worker process with \`VERIFY_SHARE=${r.params['VERIFY_SHARE']}\` of \`PROVIDER_RATE_LIMIT=${r.params['R']}\` ` +
        `and \`VERIFY_MIN_INTERVAL_MS=0\` (every account due) for ${f.rate.seconds} s, no events. Each verification is a list and a members read (one page of the account's conversations, 100 per page: the documented scan).`,
      '',
      table(
        ['accounts verified', 'requests', 'requests / s', 'accounts / hour'],
        [
          [
            fmt(f.rate.verifications),
            fmt(f.rate.requests),
            String(f.rate.requestsPerSecond),
            `**${fmt(f.rate.perHour)}**`,
          ],
        ],
      ),
      '',
      `The budget is ${r.params['VERIFY_SHARE']} × ${r.params['R']} = ${round((r.params['VERIFY_SHARE'] as number) * (r.params['R'] as number), 1)} requests/s, all processes together; a verification of these small accounts costs 2 requests (the list and one page), so about 2.4 accounts/s; an account with n conversations costs 1 + ⌈n / 100⌉. ` +
        'At the default `VERIFY_MIN_INTERVAL_MS` (1 h) a fleet smaller than that rate × 1 h is re-read every hour, a larger one as fast as the budget allows.',
      '',
      `Live work beside it: a backlog of ${fmt(f.drains[0]?.changes ?? 0)} changes (one update call each) drained by one worker process with verification off and on, alternating which runs first:`,
      '',
      table(
        ['verification', 'drain time (median)', 'verifications meanwhile (each run)'],
        [
          [
            'off',
            `${f.median.drainOff} s`,
            f.drains
              .filter((d) => !d.verification)
              .map((d) => d.verifications)
              .join(', '),
          ],
          [
            'on',
            `${f.median.drainOn} s`,
            f.drains
              .filter((d) => d.verification)
              .map((d) => d.verifications)
              .join(', '),
          ],
        ],
      ),
      '',
      `**On ÷ off = ${f.median.onOverOff}×**: verification takes its share of the rate and no more, so a saturated backlog drains at least ${round(1 - (r.params['VERIFY_SHARE'] as number), 2)} as fast. ` +
        'Under a backlog it takes less: it claims no new account while two of its read-backs wait in the queue (their reconciles stand in line with the live ones), and each read-back pays for the requests it really sent.',
    ].join('\n');
  },
};
