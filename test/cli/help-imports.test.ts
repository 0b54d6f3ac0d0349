import { describe, expect, it } from 'vitest';
import { packagesImported } from '../support/cli-imports.js';

describe('folder-sync --help', () => {
  // Time is not asserted (machines are loaded); what would make help slow is loading the
  // command's packages (bullmq, ioredis, hono, bull-board, prom-client, undici, pino, zod).
  it.each([[['--help']], [['worker', '--help']]])(
    '%j imports commander and no other package: each action is imported when its command runs',
    async (args) => {
      const { packages, stdout } = await packagesImported(args);
      expect(stdout).toContain('Usage: folder-sync');
      expect(packages.sort()).toEqual(['commander']);
    },
  );
});
