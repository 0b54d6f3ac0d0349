/**
 * docker-compose.yml, the Dockerfile, .dockerignore and .env.example checked against the code:
 * there is no Docker engine on CI, so these files are read and compared with the CLI command
 * tree (buildProgram) and the configuration schema instead of being run (compose-processes.test.ts
 * runs each service's command as a local process).
 */
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import {
  ConfigError,
  configSchema,
  ESSENTIAL_SETTINGS,
  loadConfig,
  OTHER_ENV,
  PLACEHOLDER_PREFIX,
  SECRET_VARIABLES,
} from '../../src/config.js';
import { parseError, subcommand } from '../support/cli-words.js';
import {
  type ComposeService,
  defaultCommand,
  durationMs,
  execForm,
  healthcheckCommand,
  instructions,
  parseDockerfile,
  parseEnvFile,
  publishedPort,
  readCompose,
  readRepoFile,
  serviceEnvironment,
  splitCommand,
  stageEnv,
} from '../support/compose.js';

const compose = readCompose();
const services = compose.services;
const stages = parseDockerfile(readRepoFile('Dockerfile'));
const finalStage = stages.at(-1)!;
const envExample = parseEnvFile(readRepoFile('.env.example'));

const CONFIG_KEYS = Object.keys(configSchema.shape) as Array<keyof typeof configSchema.shape>;
const KNOWN_ENV = new Set<string>([...CONFIG_KEYS, ...OTHER_ENV]);
/** services that run this project's image (they have a `build`) */
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const service = (name: string): ComposeService => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};

/** The CLI words a service runs: its `command`, else the image's default CMD. */
const commandOf = (s: ComposeService): string[] =>
  s.command === undefined ? defaultCommand(stages) : splitCommand(s.command);

/** The JavaScript of a `node -e CODE` healthcheck (undefined for other commands). */
function nodeEvalCode(words: readonly string[]): string | undefined {
  const args = words[0] === 'CMD' ? words.slice(1) : words;
  return args[0] === 'node' && args[1] === '-e' ? args[2] : undefined;
}

const defaultOf = (key: (typeof CONFIG_KEYS)[number]): string | undefined => {
  const parsed = configSchema.shape[key].safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  return Array.isArray(parsed.data) ? parsed.data.join(',') : String(parsed.data);
};

describe('docker-compose.yml runs real folder-sync commands', () => {
  it('has the redis, simulator, worker and server services; the last three build this image', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'simulator', 'worker', 'server']));
    expect(appServices.map(([name]) => name).sort()).toEqual(['server', 'simulator', 'worker']);
  });

  it('every app service builds the one image from this directory and keeps its ENTRYPOINT', () => {
    const images = new Set(appServices.map(([, s]) => s.image));
    expect(images.size, 'one image name for every app service').toBe(1);
    for (const [name, s] of appServices) {
      const context = typeof s.build === 'string' ? s.build : s.build?.context;
      expect(context, name).toBe('.');
      expect(s.entrypoint, `${name} must not override the ENTRYPOINT`).toBeUndefined();
    }
  });

  it.each(appServices)(
    'service %s: the command is a subcommand of buildProgram() with real options',
    (name, s) => {
      const words = commandOf(s);
      const program = buildProgram();
      const known = program.commands.map((c) => c.name());
      const cmd = subcommand(program, words[0]!);
      expect(
        cmd,
        `service ${name} runs "${words[0]}", which is not a folder-sync command (known: ${known.join(', ')})`,
      ).toBeDefined();
      const options = new Set(cmd!.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
      for (const word of words.slice(1)) {
        if (!/^--?[A-Za-z]/.test(word)) continue;
        const flag = word.split('=')[0]!;
        expect(
          options.has(flag),
          `service ${name}: "folder-sync ${words[0]}" has no option ${flag} (it has ${[...options].join(', ')})`,
        ).toBe(true);
      }
      expect(parseError(words), `commander refuses "${words.join(' ')}"`).toBeUndefined();
    },
  );

  it("the Dockerfile's default CMD is a folder-sync command too", () => {
    const words = defaultCommand(stages);
    expect(subcommand(buildProgram(), words[0]!), words.join(' ')).toBeDefined();
    expect(parseError(words)).toBeUndefined();
  });
});

describe('environment variables are ones the service reads', () => {
  it.each(Object.entries(services))(
    'service %s: every environment key is in configSchema or OTHER_ENV',
    (name, s) => {
      const unknown = Object.keys(serviceEnvironment(s)).filter((k) => !KNOWN_ENV.has(k));
      expect(unknown, `service ${name} sets variables nothing reads`).toEqual([]);
    },
  );

  it.each(appServices)(
    'service %s: every environment value is valid for the schema (after interpolation)',
    (name, s) => {
      for (const [key, value] of Object.entries(serviceEnvironment(s))) {
        if (!(key in configSchema.shape)) continue;
        const parsed = configSchema.shape[key as keyof typeof configSchema.shape].safeParse(value);
        expect(parsed.success, `service ${name}: ${key}=${value}`).toBe(true);
      }
    },
  );

  it('every app service uses one Redis, one QUEUE_PREFIX and one rules file', () => {
    for (const key of ['REDIS_URL', 'QUEUE_PREFIX', 'FOLDER_RULES'] as const) {
      const values = new Set(
        appServices
          .filter(([name]) => name !== 'simulator') // the simulator uses neither Redis nor rules
          .map(([, s]) => serviceEnvironment(s)[key]),
      );
      expect([...values], key).toHaveLength(1);
      expect([...values][0], `${key} must be set explicitly`).toBeDefined();
    }
  });

  it('URLs that name a service use a port that service listens on', () => {
    const listens: Record<string, string> = { redis: '6379' };
    const sim = splitCommand(service('simulator').command!);
    listens['simulator'] = sim[sim.indexOf('--port') + 1]!;
    listens['server'] = serviceEnvironment(service('server'))['HTTP_PORT']!;
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(serviceEnvironment(s))) {
        for (const part of value.split(',')) {
          if (!/^\w+:\/\//.test(part)) continue;
          const url = new URL(part);
          if (!(url.hostname in services)) continue;
          expect(url.port || '', `${name}: ${key}=${value}`).toBe(listens[url.hostname]);
        }
      }
    }
  });

  it('still takes the credentials and endpoint of an older .env, under their deprecated names', () => {
    const old = {
      YUNXIN_APP_KEY: 'old-key',
      YUNXIN_APP_SECRET: 'old-secret',
      YUNXIN_ENDPOINT: 'http://yx.test',
    };
    // env_file passes the old names through; `environment:` (which wins) interpolates the new ones from them
    const env = { ...old, ...serviceEnvironment(service('worker'), old) };
    const warnings: string[] = [];
    const config = loadConfig(env, (w) => warnings.push(w));
    expect([config.PROVIDER_APP_ID, config.PROVIDER_SECRET]).toEqual(['old-key', 'old-secret']);
    expect(config.PROVIDER_ENDPOINT).toEqual(['http://yx.test']);
    expect(warnings).toHaveLength(3);
  });

  it('reads .env optionally (the stack starts without one)', () => {
    for (const [name, s] of appServices) {
      if (s.env_file === undefined) continue;
      const files = Array.isArray(s.env_file) ? s.env_file : [s.env_file];
      for (const f of files) {
        expect(typeof f === 'object' && f.required === false, `${name}: env_file ${JSON.stringify(f)}`).toBe(
          true,
        );
      }
    }
    expect(service('worker').env_file).toBeDefined();
    expect(service('server').env_file).toBeDefined();
  });
});

describe('.env.example', () => {
  it("lists the essential settings first, in the README's order", () => {
    const keys = envExample.map((l) => l.key);
    expect(keys.slice(0, ESSENTIAL_SETTINGS.length)).toEqual([...ESSENTIAL_SETTINGS]);
  });

  it('lists every configSchema variable, and nothing the service does not read', () => {
    const keys = envExample.map((l) => l.key);
    expect(
      CONFIG_KEYS.filter((k) => !keys.includes(k)),
      'missing from .env.example',
    ).toEqual([]);
    expect(
      keys.filter((k) => !KNOWN_ENV.has(k)),
      'not in configSchema or OTHER_ENV',
    ).toEqual([]);
    expect(
      keys.filter((k, i) => keys.indexOf(k) !== i),
      'listed twice',
    ).toEqual([]);
  });

  it('explains each variable in a comment line just above it', () => {
    for (const l of envExample) expect(l.comment, `${l.key} (line ${l.line})`).toBeTruthy();
  });

  it('shows the schema default on each commented line, and only valid values on set lines', () => {
    for (const l of envExample) {
      if (!(l.key in configSchema.shape)) continue;
      const key = l.key as (typeof CONFIG_KEYS)[number];
      if (l.commented) {
        const dflt = defaultOf(key);
        if (dflt !== undefined) expect(l.value, `# ${l.key}= shows the default`).toBe(dflt);
      } else if (!l.value.startsWith(`${PLACEHOLDER_PREFIX}-`)) {
        // placeholders are refused on purpose: next test
        expect(configSchema.shape[key].safeParse(l.value).success, `${l.key}=${l.value}`).toBe(true);
      }
    }
  });

  it('holds a placeholder for every secret, and each is refused at start naming the variable', () => {
    const placeholders = envExample.filter((l) => l.value.startsWith(`${PLACEHOLDER_PREFIX}-`));
    // both ways, so the list in src/config.ts stays complete without the runtime reading this file
    expect(placeholders.map((l) => l.key).sort()).toEqual([...SECRET_VARIABLES].sort());
    for (const { key, value } of placeholders) {
      expect(() => loadConfig({ [key]: value }), key).toThrow(
        new RegExp(`${key}: still the placeholder from .env.example`),
      );
      expect(() => loadConfig({ [key]: value.toUpperCase() }), `${key} upper-cased`).toThrow(ConfigError);
    }
    expect(readRepoFile('.env.example')).toContain('openssl rand -hex 24');
    const appId = envExample.find((l) => l.key === 'PROVIDER_APP_ID');
    expect(appId?.value, "the simulator's default AppKey").toBe('demo-app-key');
  });
});

describe('redis service', () => {
  const redis = service('redis');
  const args = redis.command ? splitCommand(redis.command) : [];
  const flag = (name: string) => args[args.indexOf(name) + 1];

  it('is redis:7 with AOF persistence and noeviction', () => {
    expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
    expect(args[0]).toBe('redis-server');
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--appendfsync')).toBe('everysec');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
  });

  it('keeps /data in a named volume and has a redis-cli ping healthcheck', () => {
    const volumes = (redis.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    const data = volumes.find((v) => v.split(':')[1] === '/data');
    expect(data, 'a volume mounted at /data').toBeDefined();
    expect(Object.keys(compose.volumes ?? {}), 'declared as a named volume').toContain(data!.split(':')[0]);
    const test = redis.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(' ') : test).toMatch(/redis-cli.*ping/);
  });

  it('is what the app services wait for (healthy)', () => {
    for (const name of ['worker', 'server']) {
      const deps = service(name).depends_on;
      expect(Array.isArray(deps) ? undefined : deps?.['redis']?.condition, name).toBe('service_healthy');
    }
  });
});

describe('worker service', () => {
  const worker = service('worker');
  const env = serviceEnvironment(worker);

  it('can be scaled: no container_name, no published ports', () => {
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
  });

  it('talks to the redis and simulator services and serves /healthz on WORKER_METRICS_PORT', () => {
    expect(new URL(env['REDIS_URL']!).hostname).toBe('redis');
    expect(new URL(env['PROVIDER_ENDPOINT']!.split(',')[0]!).hostname).toBe('simulator');
    expect(Number(env['WORKER_METRICS_PORT'])).toBeGreaterThan(0);
    const test = worker.healthcheck?.test;
    const code = Array.isArray(test) ? nodeEvalCode(test) : undefined;
    expect(code, 'a node -e healthcheck').toBeDefined();
    expect(code).toContain('/healthz');
    expect(
      code!.includes('process.env.WORKER_METRICS_PORT') || code!.includes(`:${env['WORKER_METRICS_PORT']}/`),
      'the healthcheck asks WORKER_METRICS_PORT',
    ).toBe(true);
    const deps = worker.depends_on;
    expect(Array.isArray(deps) ? undefined : deps?.['simulator']).toBeDefined();
  });
});

describe('server service', () => {
  const server = service('server');
  const env = serviceEnvironment(server);

  it('publishes HTTP_PORT on 127.0.0.1 only and binds all interfaces inside the container', () => {
    const ports = (server.ports ?? []).map(publishedPort);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) {
      expect(p.hostIp, 'bound to loopback on the host').toBe('127.0.0.1');
      expect(p.target).toBe(env['HTTP_PORT']);
    }
    expect(env['HTTP_HOST'], 'reachable through the published port').toBe('0.0.0.0');
  });

  it('has a /healthz healthcheck on HTTP_PORT', () => {
    const test = server.healthcheck?.test;
    const code = Array.isArray(test) ? nodeEvalCode(test) : undefined;
    expect(code).toContain('/healthz');
    expect(code!.includes('process.env.HTTP_PORT') || code!.includes(`:${env['HTTP_PORT']}/`)).toBe(true);
  });
});

describe('every service', () => {
  it('publishes ports on 127.0.0.1 only (nothing is exposed beyond this machine by default)', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of (s.ports ?? []).map(publishedPort))
        expect(p.hostIp, `${name}: ${JSON.stringify(p)}`).toBe('127.0.0.1');
    }
  });

  it('gives long-running app services more than SHUTDOWN_TIMEOUT_MS to stop before SIGKILL', () => {
    const shutdownMs = Number(defaultOf('SHUTDOWN_TIMEOUT_MS'));
    for (const name of ['worker', 'server']) {
      const grace = service(name).stop_grace_period;
      expect(grace, `${name}: Docker's default is 10 s`).toBeDefined();
      expect(durationMs(grace!), name).toBeGreaterThan(shutdownMs);
    }
  });

  it('has healthchecks whose node -e code is valid JavaScript, without curl', () => {
    const checks: Array<[string, string[]]> = Object.entries(services).flatMap(([name, s]) =>
      Array.isArray(s.healthcheck?.test)
        ? [[name, s.healthcheck!.test as string[]] as [string, string[]]]
        : [],
    );
    const dockerfileCheck = instructions(finalStage, 'HEALTHCHECK')[0];
    if (dockerfileCheck)
      checks.push(['Dockerfile', ['CMD', ...(healthcheckCommand(dockerfileCheck.args) as string[])]]);
    expect(checks.length).toBeGreaterThanOrEqual(5);
    for (const [name, test] of checks) {
      expect(test.join(' '), name).not.toMatch(/\b(curl|wget)\b/);
      const code = nodeEvalCode(test);
      if (code !== undefined) expect(() => new Script(code), `${name}: ${code}`).not.toThrow();
    }
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs in a final one, both on a Node LTS slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const m = /^node:(\d+)(?:\.\d+)*-(?:[a-z]+-)?slim$/.exec(stage.from);
      expect(m, `${stage.from} is a node:<major>[-<debian>]-slim image`).not.toBeNull();
      const major = Number(m![1]);
      expect(major % 2, `${stage.from}: odd Node majors are never LTS`).toBe(0);
      expect(major).toBeGreaterThanOrEqual(20);
    }
    expect(new Set(stages.map((s) => s.from)).size, 'one base image').toBe(1);
    const build = stages.slice(0, -1).flatMap((s) => instructions(s, 'RUN').map((r) => r.args));
    expect(build.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(build.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  it('final stage: production env, its own install pruned to the service, after copying only the package files', () => {
    expect(stageEnv(finalStage)['NODE_ENV']).toBe('production');
    const steps = finalStage.instructions;
    const ci = steps.findIndex(
      (i) =>
        i.keyword === 'RUN' &&
        /\bnpm ci\b.*node scripts\/service-manifest\.mjs.*\bnpm prune --omit=dev\b/s.test(i.args),
    );
    expect(ci, 'RUN npm ci, service-manifest.mjs, npm prune --omit=dev').toBeGreaterThan(-1);
    const copiesBefore = steps.slice(0, ci).filter((i) => i.keyword === 'COPY');
    expect(copiesBefore.map((c) => c.args)).toEqual([
      'package.json package-lock.json ./',
      'scripts/service-manifest.mjs ./scripts/',
    ]);
    const copiesAfter = steps
      .slice(ci)
      .filter((i) => i.keyword === 'COPY')
      .map((c) => c.args);
    for (const dir of ['dist', 'bin', 'examples']) {
      expect(copiesAfter.some((c) => c.split(/\s+/).some((w) => w.replace(/^\/app\//, '') === dir))).toBe(
        true,
      );
    }
  });

  it('final stage: runs as a non-root user, with a HEALTHCHECK, the CLI as ENTRYPOINT and worker by default', () => {
    const user = instructions(finalStage, 'USER').at(-1)?.args;
    expect(user, 'a USER instruction').toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    const health = instructions(finalStage, 'HEALTHCHECK').at(-1);
    expect(health).toBeDefined();
    const words = healthcheckCommand(health!.args);
    expect(words).not.toBe('NONE');
    expect((words as string[]).join(' ')).toContain('/healthz');
    const entrypoint = instructions(finalStage, 'ENTRYPOINT').at(-1);
    expect(execForm(entrypoint!.args)).toEqual(['node', 'bin/folder-sync.js']);
    expect(defaultCommand(stages)).toEqual(['worker']);
  });

  it('.dockerignore keeps dependencies, builds, VCS data, reports and .env out of the context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of [
      'node_modules',
      'dist',
      '.git',
      'coverage',
      'bench/results',
      'test-results',
      '.env',
    ]) {
      expect(ignored, entry).toContain(entry);
    }
  });
});
