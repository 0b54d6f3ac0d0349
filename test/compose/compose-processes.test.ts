/**
 * The compose stack without Docker: each app service of docker-compose.yml runs its `command`
 * as a local `folder-sync` process with the service's `environment` (as Compose resolves it with
 * no .env file, plus the image's ENV), then answers what its healthcheck asks. Compose
 * hostnames are rewritten to local ones: `redis` → the test Redis (with a key prefix of this
 * test's own), `simulator` → the simulator service started here; container ports → free ports;
 * 0.0.0.0 → 127.0.0.1 (nothing of a test listens beyond this machine). The healthchecks
 * themselves (compose's and the Dockerfile's) are run with each service's environment too.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, DEPRECATED_ALIASES, OTHER_ENV } from '../../src/config.js';
import {
  type ComposeService,
  freePort,
  getJson,
  healthcheckCommand,
  instructions,
  parseDockerfile,
  pollUntil,
  readCompose,
  readRepoFile,
  serviceEnvironment,
  splitCommand,
  stageEnv,
} from '../support/compose.js';
import { type Spawned, spawnCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const run = promisify(execFile);
const compose = readCompose();
const finalStage = parseDockerfile(readRepoFile('Dockerfile')).at(-1)!;
const IMAGE_ENV = stageEnv(finalStage);
const STARTUP_MS = 30_000;

const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};

let prefix = '';
/** container port → local port, per service */
const ports = new Map<string, Map<string, number>>();
const started = new Map<string, Promise<Spawned>>();
const processes = new Map<string, Spawned>();

/** The local port standing in for `containerPort` of `name` (allocated on first use). */
async function localPort(name: string, containerPort: string): Promise<number> {
  const map = ports.get(name) ?? new Map<string, number>();
  ports.set(name, map);
  let port = map.get(containerPort);
  if (port === undefined) {
    port = await freePort();
    map.set(containerPort, port);
  }
  return port;
}

/** A compose URL (`redis://redis:6379`, `http://simulator:8787`) pointed at the local stand-in. */
async function localUrl(value: string): Promise<string> {
  if (!/^\w+:\/\//.test(value)) return value;
  const url = new URL(value);
  if (url.hostname === 'redis') {
    const test = new URL(redisUrl());
    if (url.pathname.length > 1) test.pathname = url.pathname;
    return test.href.replace(/\/$/, '');
  }
  const host = url.hostname;
  if (host in compose.services) {
    if (!url.port) throw new Error(`${value}: name the port explicitly`);
    url.port = String(await localPort(host, url.port));
    url.hostname = '127.0.0.1';
    return url.href.replace(/\/$/, '');
  }
  return value;
}

/**
 * The environment a service's container would have (the image's ENV, then the service's
 * `environment` without .env), rewritten for local processes. Variables the test runner may have
 * exported are blanked (an empty value counts as unset), so only the compose file decides.
 */
async function localEnv(name: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const read = [...Object.keys(configSchema.shape), ...DEPRECATED_ALIASES.map((a) => a.old), ...OTHER_ENV];
  for (const key of read) env[key] = '';
  env['LOG_LEVEL'] = 'info';
  Object.assign(env, IMAGE_ENV);
  for (const [key, value] of Object.entries(serviceEnvironment(service(name)))) {
    if (key === 'QUEUE_PREFIX') env[key] = prefix;
    else if (key === 'HTTP_HOST' && value === '0.0.0.0') env[key] = '127.0.0.1';
    else if (key === 'HTTP_PORT' || key === 'WORKER_METRICS_PORT')
      env[key] = Number(value) > 0 ? String(await localPort(name, value)) : value;
    else env[key] = (await Promise.all(value.split(',').map(localUrl))).join(',');
  }
  return env;
}

/** The service's command with its `--port` and `--host 0.0.0.0` made local. */
async function localCommand(name: string): Promise<string[]> {
  const s = service(name);
  if (s.command === undefined) throw new Error(`${name} has no command`);
  const words = splitCommand(s.command);
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === '--port') words[i + 1] = String(await localPort(name, words[i + 1]!));
    if (words[i] === '--host' && words[i + 1] === '0.0.0.0') words[i + 1] = '127.0.0.1';
  }
  return words;
}

/** Starts a service's command once (later calls get the same process). */
function start(name: string, ready: RegExp): Promise<Spawned> {
  let p = started.get(name);
  if (!p) {
    p = (async () => {
      const proc = spawnCli(await localCommand(name), await localEnv(name));
      processes.set(name, proc);
      await proc.waitFor(ready, STARTUP_MS);
      return proc;
    })();
    started.set(name, p);
  }
  return p;
}

const startSimulator = () => start('simulator', /simulator listening/);
const startWorker = async () => {
  await startSimulator();
  return start('worker', /workers started/);
};
const startServer = () => start('server', /listening/);

const exitedEarly = (proc: Spawned) => () =>
  proc.child.exitCode !== null || proc.child.signalCode !== null
    ? `the process exited (${proc.child.exitCode ?? proc.child.signalCode}); output:\n${proc.output()}`
    : undefined;

/** Runs a healthcheck test (["CMD", "node", "-e", code]) the way Docker would inside `name`'s container. */
async function runHealthcheck(name: string, test: readonly string[]): Promise<number> {
  const words = test[0] === 'CMD' ? test.slice(1) : [...test];
  if (words[0] !== 'node') throw new Error(`${name}: only node healthchecks can run here: ${test.join(' ')}`);
  let args = words.slice(1);
  // literal container ports (e.g. the simulator's 8787) → the local ones
  for (const [containerPort, port] of ports.get(name) ?? []) {
    args = args.map((a) => a.replaceAll(`:${containerPort}/`, `:${port}/`));
  }
  const env = { ...process.env, ...(await localEnv(name)) };
  try {
    await run(process.execPath, args, { env, timeout: 10_000 });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? 1;
  }
}

/** The service's compose healthcheck passes, retried as Docker retries during start_period. */
async function healthcheckPasses(name: string, test?: readonly string[]): Promise<void> {
  const cmd = test ?? (service(name).healthcheck?.test as string[] | undefined);
  expect(Array.isArray(cmd), `${name} has an exec-form healthcheck`).toBe(true);
  await pollUntil(`${name}'s healthcheck (${cmd!.join(' ')})`, async () =>
    (await runHealthcheck(name, cmd!)) === 0 ? true : undefined,
  );
}

beforeAll(() => {
  redisUrl(); // fails here, once, with how to provide Redis
  prefix = uniquePrefix('compose');
});

afterAll(async () => {
  await Promise.all(
    [...processes.values()].map(async (proc) => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      proc.child.kill('SIGTERM');
      const fallback = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(fallback);
    }),
  );
  if (prefix) await deleteKeys(redisUrl(), prefix);
}, 30_000);

describe('docker-compose.yml services as local processes', () => {
  it('simulator: starts from its compose command, answers /_sim/health, its healthcheck passes', async () => {
    const sim = await startSimulator();
    const port = ports.get('simulator')?.get('8787');
    expect(port, 'the compose command sets --port').toBeDefined();
    const health = await pollUntil(
      'GET /_sim/health',
      () => getJson(`http://127.0.0.1:${port}/_sim/health`),
      { stop: exitedEarly(sim) },
    );
    expect(health).toEqual({ ok: true });
    await healthcheckPasses('simulator');
  }, 60_000);

  it('worker: prints "workers started", answers /healthz on WORKER_METRICS_PORT, both healthchecks pass', async () => {
    const worker = await startWorker();
    const metricsPort = (await localEnv('worker'))['WORKER_METRICS_PORT'];
    expect(Number(metricsPort)).toBeGreaterThan(0);
    await pollUntil(
      `GET http://127.0.0.1:${metricsPort}/healthz (the worker's metrics server)`,
      () =>
        getJson(`http://127.0.0.1:${metricsPort}/healthz`).then((b) => (b === undefined ? undefined : true)),
      { stop: exitedEarly(worker), timeoutMs: 10_000 },
    );
    await healthcheckPasses('worker');
    // the image's own HEALTHCHECK, with the worker's environment, asks the same port
    const dflt = healthcheckCommand(instructions(finalStage, 'HEALTHCHECK').at(-1)!.args);
    await healthcheckPasses('worker', dflt as string[]);
  }, 60_000);

  it('server: `serve` answers /healthz on HTTP_PORT, both healthchecks pass', async () => {
    expect(splitCommand(service('server').command!)[0], 'the server service runs folder-sync serve').toBe(
      'serve',
    );
    const server = await startServer();
    const httpPort = (await localEnv('server'))['HTTP_PORT'];
    await pollUntil(
      `GET http://127.0.0.1:${httpPort}/healthz`,
      () => getJson(`http://127.0.0.1:${httpPort}/healthz`).then((b) => (b === undefined ? undefined : true)),
      { stop: exitedEarly(server), timeoutMs: 10_000 },
    );
    await healthcheckPasses('server');
    const dflt = healthcheckCommand(instructions(finalStage, 'HEALTHCHECK').at(-1)!.args);
    await healthcheckPasses('server', dflt as string[]);
  }, 60_000);

  it("examples/events.ndjson published with the worker's environment become alice's groups on the simulator", async () => {
    await startWorker();
    const env = await localEnv('worker');
    const publish = spawnCli(['publish', 'examples/events.ndjson'], env);
    expect(await publish.exited, publish.output()).toBe(0);
    expect(publish.output()).toMatch(/published \d+ events, refused 0/);

    const simPort = ports.get('simulator')!.get('8787')!;
    type Group = { name: string; members: string[] };
    const EXPECTED = { 'Direct messages': ['alice|1|bob'], Launch: ['alice|1|bob', 'alice|2|team-42'] };
    let seen: Record<string, string[]> = {};
    const groups = await pollUntil(
      "alice's groups on the simulator",
      async () => {
        const body = (await getJson(`http://127.0.0.1:${simPort}/_sim/accounts/alice/groups`)) as
          | { groups: Group[] }
          | undefined;
        seen = Object.fromEntries((body?.groups ?? []).map((g) => [g.name, [...g.members].sort()]));
        // once the worker is done: "Direct messages" (examples/rules.json) holds bob, her own
        // "Launch" folder the projects plus bob (included) minus st-9001 (excluded)
        const done =
          JSON.stringify(seen['Direct messages']) === JSON.stringify(EXPECTED['Direct messages']) &&
          JSON.stringify(seen['Launch']) === JSON.stringify(EXPECTED['Launch']);
        return done ? seen : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch((error: Error) => {
      const worker = processes.get('worker')?.output().split('\n').slice(-30).join('\n');
      throw new Error(
        `${error.message}\nalice's groups: ${JSON.stringify(seen)}\nworker output (tail):\n${worker}`,
      );
    });
    expect(groups).toMatchObject(EXPECTED);
  }, 90_000);

  it('SIGTERM stops every service process with exit code 0', async () => {
    const procs = await Promise.all([
      startSimulator().then((p) => ['simulator', p] as const),
      startWorker().then((p) => ['worker', p] as const),
      startServer().then((p) => ['server', p] as const),
    ]);
    // workers and server first (they hold Redis connections), the simulator last
    for (const [name, proc] of [...procs].reverse()) {
      expect(await proc.stop('SIGTERM'), `${name} exit code; output:\n${proc.output().slice(-2000)}`).toBe(0);
    }
  }, 90_000);
});
