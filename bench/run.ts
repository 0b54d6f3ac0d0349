/**
 * `npm run bench [-- --only <name>[,<name>…]] [-- --profile quick|full]`: runs the benchmarks
 * one after another, writes bench/results/<name>.json for each, and regenerates
 * docs/benchmarks.md (and its charts) from every result file present.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.js';
import { machineRedis } from './lib/redis.js';
import { writeReport } from './lib/report.js';
import { writeResult } from './lib/results.js';
import type { Profile, Scenario, ScenarioResult } from './lib/scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    profile: { type: 'string', default: 'full' },
    'report-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const names = SCENARIOS.map((s) => s.name);
if (values.help) {
  console.log(
    `usage: npm run bench -- [--profile quick|full] [--only ${names.join(',')}] [--report-only]\n` +
      '  --profile      quick (≈ 4–5 min) or full (default, ≈ 20–30 min)\n' +
      '  --only         run only these benchmarks (comma-separated)\n' +
      '  --report-only  regenerate docs/benchmarks.md from bench/results/*.json without running anything',
  );
  process.exit(0);
}
const profile = values.profile as Profile;
if (profile !== 'quick' && profile !== 'full') {
  console.error(`--profile must be quick or full, got ${values.profile}`);
  process.exit(2);
}
const only = values.only ? values.only.split(',').map((s) => s.trim()) : names;
const unknown = only.filter((n) => !names.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${names.join(', ')}`);
  process.exit(2);
}

const command = `npm run bench -- --profile ${profile}${values.only ? ` --only ${only.join(',')}` : ''}`;

async function main(): Promise<void> {
  if (!values['report-only']) {
    const redisUrl = await machineRedis();
    const selected = SCENARIOS.filter((s) => only.includes(s.name));
    const total = selected.reduce((n, s) => n + s.expectedSeconds[profile], 0);
    console.log(
      `benchmarks (${profile} profile): ${selected.map((s) => s.name).join(', ')}; expected ≈ ${Math.ceil(total / 60)} min`,
    );
    for (const scenario of selected) {
      try {
        await runOne(scenario, redisUrl);
      } catch (error) {
        // the others still run; the report keeps this one's previous result, if any
        failed.push(scenario.name);
        console.error(`✘ ${scenario.name} failed:`, error);
      }
    }
  }
  const path = await writeReport();
  console.log(`wrote ${path}`);
  if (failed.length) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

const failed: string[] = [];

async function runOne(scenario: Scenario<unknown>, redisUrl: string): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const loadStart = os.loadavg()[0]!;
  const machine = await describeMachine(redisUrl);
  console.log(`\n▶ ${scenario.title} (${scenario.name}), ≈ ${scenario.expectedSeconds[profile]} s`);
  const out = await scenario.run({
    profile,
    redisUrl,
    log: (m) => console.log(`  ${m}`),
  });
  const result: ScenarioResult<unknown> = {
    name: scenario.name,
    title: scenario.title,
    profile,
    startedAt: started.toISOString(),
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    command,
    machine,
    loadAverage: { start: Math.round(loadStart * 100) / 100, end: Math.round(os.loadavg()[0]! * 100) / 100 },
    params: out.params,
    figures: out.figures,
    goals: out.goals,
    notes: out.notes ?? [],
  };
  const path = await writeResult(result);
  for (const g of result.goals) console.log(`  ${g.met ? '✔' : '✘'} ${g.goal}: ${g.value}`);
  console.log(`  done in ${result.durationSeconds} s → ${path}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
