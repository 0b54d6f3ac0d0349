import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../support/processes.js';

const run = promisify(execFile);
const REPORTER = pathToFileURL(join(ROOT, 'test/support/report-imports.mjs')).href;
// bin/folder-sync.js runs the compiled dist/ (built before the tests)
const SOURCES = `${pathToFileURL(join(ROOT, 'dist')).href}/`;

/** The packages the project's own modules import while the CLI runs `args`. */
async function packagesImported(args: string[]): Promise<{ packages: string[]; stdout: string }> {
  const register = `import { register } from 'node:module'; register(${JSON.stringify(REPORTER)});`;
  const { stdout, stderr } = await run(process.execPath, [
    '--import',
    `data:text/javascript,${encodeURIComponent(register)}`,
    CLI,
    ...args,
  ]);
  const packages = new Set<string>();
  for (const [, url, parent] of stderr.matchAll(/^imported (\S+) from (\S+)$/gm)) {
    const name = url!.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1];
    // what a package imports in turn is its own business: the CLI's choice is its first import
    if (name && parent!.startsWith(SOURCES)) packages.add(name);
  }
  return { packages: [...packages].sort(), stdout };
}

describe('folder-sync --help', () => {
  // Time is not asserted (machines are loaded); what would make help slow is loading the
  // command's packages (bullmq, ioredis, hono, bull-board, prom-client, undici, pino, zod).
  it.each([[['--help']], [['worker', '--help']]])(
    '%j imports commander and no other package: each action is imported when its command runs',
    async (args) => {
      const { packages, stdout } = await packagesImported(args);
      expect(stdout).toContain('Usage: folder-sync');
      expect(packages).toEqual(['commander']);
    },
  );
});
