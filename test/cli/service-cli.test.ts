import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { PLACEHOLDER_PREFIX, SECRET_VARIABLES } from '../../src/config.js';
import { freePort, parseEnvFile, readRepoFile } from '../support/compose.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';
import { CLI, type Spawned, spawnCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';
import { workerEnv } from '../support/worker-processes.js';

const run = promisify(execFile);
const spawned: Spawned[] = [];
let engine: Engine | undefined;
afterEach(async () => {
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
  await engine?.close();
  engine = undefined;
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

describe('secrets', () => {
  it('never reach the logs of a worker and a server at trace level', async () => {
    engine = await startEngine({ noWorkers: true });
    const secrets = {
      PROVIDER_SECRET: engine.config.PROVIDER_SECRET!,
      DASHBOARD_PASSWORD: 'dashboard-secret-4f81',
      DASHBOARD_TOKEN: 'dashboard-token-secret-9a1c7e',
      INGEST_TOKEN: 'ingest-token-secret-77b2d0a1',
    };
    const env = workerEnv(engine.config, { ...secrets, LOG_LEVEL: 'trace', HTTP_PORT: '0' });
    const worker = start(['worker'], env);
    const server = start(['serve'], env);
    await worker.waitFor(/workers started/);
    const url = JSON.parse(await server.waitFor(/HTTP server listening/)).url as string;
    // work that logs: events, provider calls, failed logins, a bad ingest
    await engine.publish([ev('conversation.tagged', 'sec', { ...team('c'), tag: 'customer' })]);
    await engine.eventually(() => expect(engine!.groups('sec')).toEqual({ Customers: ['2|c'] }));
    await fetch(`${url}/admin/queues`, { headers: { authorization: 'Bearer wrong' } });
    await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.INGEST_TOKEN}` },
      body: '{bad',
    });
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await worker.stop('SIGTERM')).toBe(0);
    const logs = worker.output() + server.output();
    expect(logs).toContain('yunxin call');
    for (const secret of Object.values(secrets)) expect(logs).not.toContain(secret);
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

describe('graceful shutdown', () => {
  it('SIGTERM mid-work: in-flight calls finish, exit 0, and a new worker completes the rest', async () => {
    engine = await startEngine({ noWorkers: true, sim: { faults: { latencyMs: 50 } } });
    const env = workerEnv(engine.config, { SHUTDOWN_TIMEOUT_MS: '10000' });
    const first = start(['worker'], env);
    await first.waitFor(/workers started/);
    const accounts = Array.from({ length: 10 }, (_, i) => `drain-${i}`);
    const conversations = Array.from({ length: 250 }, (_, i) => `c${i}`);
    await engine.publish(
      accounts.flatMap((a) =>
        conversations.map((c) => ev('conversation.tagged', a, { ...team(c), tag: 'customer' })),
      ),
    );
    await engine.eventually(() => expect(engine!.sim.calls.snapshot().total).toBeGreaterThan(3), 30_000);
    // exit 0 is a drain within SHUTDOWN_TIMEOUT_MS: past it the process exits 1 (src/cli/shutdown.ts)
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');
    expect(first.output()).not.toContain('shutdown timed out');

    start(['worker'], env);
    const expected = conversations.map((c) => `2|${c}`).sort();
    await engine.eventually(() => {
      for (const a of accounts) expect(engine!.groups(a)).toEqual({ Customers: expected });
    }, 60_000);
  });
});

describe('folder-sync dev', () => {
  it.each([
    ['Yunxin', 'the Yunxin simulator', { PROVIDER_APP_ID: '', PROVIDER_SECRET: '' }],
    [
      'Tencent',
      'with PROVIDER=tencent and no Tencent credentials, the Tencent simulator',
      { PROVIDER: 'tencent', PROVIDER_APP_ID: '', PROVIDER_SECRET: '' },
    ],
  ])(
    'brings up the stack (%s: %s) and the demo shows groups mirrored',
    async (label, _, env) => {
      const prefix = uniquePrefix('dev');
      const dev = start(['dev'], { REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, HTTP_PORT: '0', ...env });
      try {
        await dev.waitFor(/The stack keeps running/, 60_000);
        const out = dev.output();
        expect(out).toContain('yunxin-folder-sync is running');
        expect(out).toMatch(new RegExp(`${label} +http://127\\.0\\.0\\.1:\\d+ \\(the simulator`));
        expect(out).toMatch(new RegExp(`${label} group #\\d+ "Design reviews": 2\\|figma-reviews`));
        expect(out).toMatch(new RegExp(`${label} group #\\d+ "Customers": 2\\|acme-support, 2\\|globex`));
        const dashboard = /dashboard\s+(\S+)\s+user (\S+), password (\S+)/.exec(out)!;
        const res = await fetch(dashboard[1]!, {
          headers: {
            authorization: `Basic ${Buffer.from(`${dashboard[2]}:${dashboard[3]}`).toString('base64')}`,
          },
        });
        expect(res.status).toBe(200);
        expect(await dev.stop('SIGTERM')).toBe(0);
      } finally {
        await deleteKeys(redisUrl(), prefix);
      }
    },
    90_000,
  );
});
