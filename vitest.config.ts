import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// V8's on-disk compile cache for what the tests start (vitest's forks, inherited by every CLI
// process they spawn): about 10 % less CPU per `folder-sync` process, and there are ~100.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'yunxin-folder-sync-test-compile-cache');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on two cores, one file at a time.
    // The slow files wait on processes, timers and the network, not on the CPU, so four run
    // side by side; none asserts how fast anything ran (engine tests poll with deadlines).
    maxWorkers: 4,
  },
});
