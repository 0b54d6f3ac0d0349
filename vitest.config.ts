import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// V8's on-disk compile cache for what the tests start (vitest's forks, inherited by every CLI
// process they spawn): about 10 % less CPU per `folder-sync` process, and there are ~100.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'yunxin-folder-sync-test-compile-cache');

/**
 * Directories whose files share a worker's modules (`isolate: false`): a fresh module graph per
 * file costs more CPU than these tests themselves. None of them changes global state (OTel's
 * global provider, process listeners, environment variables); files that start the engine's
 * workers, CLI processes or a browser, or install tracing, keep a fresh graph each.
 */
const SHARED_MODULES = [
  'deploy',
  'docs',
  'events',
  'facts',
  'fleet',
  'http',
  'jobs',
  'metrics',
  'plan',
  'provider',
  'publisher',
  'reconcile',
  'rules',
  'store',
  'structure',
  'tencent',
  'workers',
  'yunxin',
].map((dir) => `test/${dir}/**/*.test.ts`);

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // engines of test/support/engine.ts on 4 partitions, not 16 (cluster.test.ts sets its own)
    env: { TEST_PARTITIONS: '4' },
    // Vitest's default is one worker fewer than the cores: on two cores, one file at a time.
    // The slow files wait on processes, timers and sockets, not on the CPU, so four run side by
    // side; none asserts how fast anything ran (engine tests poll with generous deadlines).
    maxWorkers: 4,
    projects: [
      { test: { name: 'unit', include: SHARED_MODULES, isolate: false } },
      {
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: ['test/reliability/**', 'node_modules/**', ...SHARED_MODULES],
        },
      },
    ],
  },
});
