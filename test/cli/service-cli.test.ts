/**
 * The folder-sync command line: every command's help, configuration it refuses (exit 2), and
 * where its HTTP servers bind. Workers doing work are in service-processes.test.ts, `dev` in
 * dev-cli.test.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { PLACEHOLDER_PREFIX, SECRET_VARIABLES } from '../../src/config.js';
import { freePort, parseEnvFile, readRepoFile } from '../support/compose.js';
import { CLI, type Spawned, spawnCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const run = promisify(execFile);
const spawned: Spawned[] = [];
afterEach(async () => {
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
});
const start = (args: string[], env: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env);
  spawned.push(p);
  return p;
};

/** `folder-sync <name> --help` parsed by the real command tree, its output captured. */
async function helpOf(name: string): Promise<{ error: unknown; out: string }> {
  const program = buildProgram();
  let out = '';
  const capture = {
    writeOut: (text: string) => {
      out += text;
    },
    writeErr: (text: string) => {
      out += text;
    },
  };
  for (const c of [program, ...program.commands]) c.configureOutput(capture).exitOverride();
  try {
    await program.parseAsync([name, '--help'], { from: 'user' });
    return { error: undefined, out };
  } catch (error) {
    return { error, out };
  }
}

describe('the folder-sync command line', () => {
  // In this process: eleven CLI processes at once once took over 30 s on a loaded machine. What
  // the binary adds (main.ts turning the help into exit 0) is run for real in
  // help-imports.test.ts, which spawns `folder-sync --help` and `folder-sync worker --help`.
  it('every command has --help (exit 0)', async () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names.sort()).toEqual([
      'demo',
      'dev',
      'migrate-layout',
      'plan',
      'publish',
      'resync',
      'rules',
      'serve',
      'simulator',
      'status',
      'worker',
    ]);
    for (const name of names) {
      const { error, out } = await helpOf(name);
      expect(error, name).toMatchObject({ code: 'commander.helpDisplayed', exitCode: 0 });
      expect(out).toContain(`Usage: folder-sync ${name}`);
    }
  });

  it.each([['worker'], ['serve'], ['status', '--account', 'a']])(
    '%s exits 2 with one message naming a bad variable',
    async (...args) => {
      const res = await run(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          REDIS_URL: 'redis://127.0.0.1:6379',
          WORKER_CONCURRENCY: 'many',
          HTTP_PORT: '99999',
        },
      }).catch((e: { code: number; stderr: string }) => e);
      expect(res).toMatchObject({ code: 2 });
      expect((res as { stderr: string }).stderr).toMatch(/WORKER_CONCURRENCY: .*\n.*HTTP_PORT: /);
    },
  );

  it.each([['worker'], ['serve'], ['dev', '--no-demo']])(
    '%s refuses every placeholder secret of .env.example (exit 2), naming each variable',
    async (...args) => {
      const placeholders = parseEnvFile(readRepoFile('.env.example')).filter((l) =>
        l.value.startsWith(`${PLACEHOLDER_PREFIX}-`),
      );
      const res = await run(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          REDIS_URL: redisUrl(),
          QUEUE_PREFIX: uniquePrefix('placeholders'),
          HTTP_PORT: '0',
          PROVIDER_APP_ID: 'k',
          ...Object.fromEntries(placeholders.map((l) => [l.key, l.value])),
        },
      }).catch((e: { code: number; stderr: string }) => e);
      expect(res).toMatchObject({ code: 2 });
      for (const key of SECRET_VARIABLES) {
        expect((res as { stderr: string }).stderr).toMatch(
          new RegExp(`${key}: still the placeholder from .env.example`),
        );
      }
    },
  );

  it('a bad rules file stops the worker with the path and the reason (exit 2)', async () => {
    const prefix = uniquePrefix('badrules');
    try {
      const res = await run(process.execPath, [CLI, 'worker'], {
        env: {
          ...process.env,
          REDIS_URL: redisUrl(),
          QUEUE_PREFIX: prefix,
          FOLDER_RULES: 'package.json',
          PROVIDER_APP_ID: 'k',
          PROVIDER_SECRET: 's',
        },
      }).catch((e: { code: number; stdout: string }) => e);
      expect(res).toMatchObject({ code: 2 });
      expect((res as { stdout: string }).stdout).toContain('package.json');
    } finally {
      // the worker may have registered itself before reading the rules
      await deleteKeys(redisUrl(), prefix);
    }
  });
});

describe('where the HTTP servers bind', () => {
  const listening = /(HTTP server|worker metrics and health) listening on/;
  const exposedWarning =
    /HTTP_HOST is not a loopback address: .* can be reached from other machines at 0\.0\.0\.0:\d+/;

  it.each([
    ['serve', ['serve'], false],
    ['worker', ['worker'], true],
  ])('%s logs the address it really binds, and warns when it is not loopback', async (_, args, metrics) => {
    const prefix = uniquePrefix('bind');
    try {
      for (const host of ['0.0.0.0', '127.0.0.1']) {
        const env: NodeJS.ProcessEnv = {
          REDIS_URL: redisUrl(),
          QUEUE_PREFIX: prefix,
          PROVIDER_APP_ID: 'k',
          PROVIDER_SECRET: 's',
          HTTP_HOST: host,
          HTTP_PORT: '0',
          ...(metrics ? { WORKER_METRICS_PORT: String(await freePort()) } : {}),
        };
        const p = start(args, env);
        const line = JSON.parse(await p.waitFor(listening, 30_000)) as { bound: string; url: string };
        expect(line.bound).toMatch(new RegExp(`^${host.replaceAll('.', '\\.')}:\\d+$`));
        // reachable here all the same, on loopback
        expect((await fetch(`${line.url}/healthz`)).status).toBe(200);
        expect(await p.stop('SIGTERM')).toBe(0);
        if (host === '0.0.0.0') expect(p.output()).toMatch(exposedWarning);
        else expect(p.output()).not.toContain('HTTP_HOST is not a loopback address');
      }
    } finally {
      await deleteKeys(redisUrl(), prefix);
    }
  });
});
