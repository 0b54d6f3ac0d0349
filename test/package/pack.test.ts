/**
 * The npm package as an app installs it: `npm pack`, then `npm install` of the tarball into an
 * empty project (from the npm cache where it can). An app that only publishes gets 10 packages
 * and a working `yunxin-folder-sync/publisher`; the service's packages are optional peers, and
 * the bin says how to install them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

const run = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 1 << 24 });

let app: string;
beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'fs-pack-'));
  const { stdout } = await npm(['pack', '--ignore-scripts', '--pack-destination', app], ROOT);
  const tarball = join(app, stdout.trim().split('\n').at(-1)!);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await npm(['install', '--prefer-offline', tarball], app);
}, 240_000);
afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('installs 10 packages in all into an empty project', async () => {
    const lock = JSON.parse(await readFile(join(app, 'node_modules/.package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    const installed = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/'));
    expect(installed.length, installed.join(', ')).toBeLessThanOrEqual(10);
    expect(installed).toContain('node_modules/yunxin-folder-sync');
    expect(installed).not.toContain('node_modules/bullmq');
  });

  it('serves yunxin-folder-sync/publisher from dist/, without the service packages', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('yunxin-folder-sync/publisher'); console.log(typeof m.createPublisher);",
      ],
      { cwd: app },
    );
    expect(stdout.trim()).toBe('function');
  });

  it('ships the LICENSE and the compiled code, not the sources or tests', async () => {
    const root = join(app, 'node_modules/yunxin-folder-sync');
    await expect(readFile(join(root, 'LICENSE'), 'utf8')).resolves.toContain('MIT License');
    await expect(readFile(join(root, 'dist/cli/main.js'), 'utf8')).resolves.toBeTruthy();
    await expect(readFile(join(root, 'src/index.ts'), 'utf8')).rejects.toThrow();
    await expect(readFile(join(root, 'test/package/pack.test.ts'), 'utf8')).rejects.toThrow();
  });

  it('the bin names the packages the service needs, and exits 2', async () => {
    const failed = await run(
      process.execPath,
      [join(app, 'node_modules/yunxin-folder-sync/bin/folder-sync.js'), 'worker'],
      {
        cwd: app,
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failed && failed.code).toBe(2);
    expect('stderr' in failed && failed.stderr).toMatch(/npm install .*'bullmq@6\.7\.0'.*'hono@/);
  });
});
