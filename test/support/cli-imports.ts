import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CLI, ROOT } from './processes.js';

const run = promisify(execFile);
const REPORTER = pathToFileURL(join(ROOT, 'test/support/report-imports.mjs')).href;
// bin/folder-sync.js runs the compiled dist/ (built before the tests)
const SOURCES = `${pathToFileURL(join(ROOT, 'dist')).href}/`;

/**
 * The packages the project's own modules import while the CLI runs `args`, in the order they
 * are first imported (what a package imports in turn is its own business: the CLI's choice is
 * its first import).
 */
export async function packagesImported(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ packages: string[]; stdout: string }> {
  const register = `import { register } from 'node:module'; register(${JSON.stringify(REPORTER)});`;
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(register)}`, CLI, ...args],
    { env },
  );
  const packages = new Set<string>();
  for (const [, url, parent] of stderr.matchAll(/^imported (\S+) from (\S+)$/gm)) {
    const name = url!.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1];
    if (name && parent!.startsWith(SOURCES)) packages.add(name);
  }
  return { packages: [...packages], stdout };
}
