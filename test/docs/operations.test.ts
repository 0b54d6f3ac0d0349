/**
 * docs/operations.md against the code: its command table names every `folder-sync` command of
 * the command tree, and its metrics table every metric the service registers, and no other.
 */
import { readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import type { RedisClient } from '../../src/jobs/connection.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { Keys } from '../../src/store/keys.js';

const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** The body of one `## heading` section. */
function section(heading: string): string {
  const start = operations.indexOf(`\n## ${heading}\n`);
  expect(start, `docs/operations.md has a "## ${heading}" section`).toBeGreaterThan(-1);
  const end = operations.indexOf('\n## ', start + 1);
  return operations.slice(start, end === -1 ? undefined : end);
}

/** Every command path of the tree: `worker`, `rules show`… */
function commandPaths(command: Command, prefix: string[] = []): string[] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path.join(' '), ...commandPaths(c, path)];
  });
}

/** Every metric name the service registers, the Redis-read gauges included. */
function registeredMetrics(): string[] {
  const fakeQueue = (name: string) => ({ name, getJobCounts: async () => ({}) }) as unknown as Queue;
  const metrics = new Metrics([fakeQueue(QUEUES.events), fakeQueue(QUEUES.reconcile)], {
    defaultMetrics: false,
  });
  metrics.watchParked({} as RedisClient, { parts: [] } as unknown as Keys);
  metrics.watchWorkers({} as RedisClient, { parts: [] } as unknown as Keys, 3_000);
  return metrics.registry.getMetricsAsArray().map((m) => m.name);
}

describe('docs/operations.md stays true to the code', () => {
  it('its command table has a row for every folder-sync command', () => {
    const table = section('Commands');
    const paths = commandPaths(buildProgram());
    expect(paths).toContain('rules confirm');
    for (const path of paths)
      expect(table, `folder-sync ${path}`).toMatch(new RegExp(`\\| \`folder-sync ${path}[\` ]`));
  });

  it('its metrics table has a row for every metric the service registers, and none it does not', () => {
    const table = section('Metrics');
    const documented = [...table.matchAll(/^\|([^|]*)\|/gm)].flatMap((row) =>
      [...row[1]!.matchAll(/`(folder_sync_\w+)`/g)].map((m) => m[1]!),
    );
    const registered = registeredMetrics();
    expect(registered).toContain('folder_sync_accounts_parked');
    expect(registered).toContain('folder_sync_queue_jobs');
    expect(new Set(documented)).toEqual(new Set(registered));
  });
});
