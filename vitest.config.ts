import { defineConfig } from 'vitest/config';

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
