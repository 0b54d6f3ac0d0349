/**
 * Reading docker-compose.yml, the Dockerfile and .env.example the way Docker would, so tests can
 * check them on machines without a Docker engine (test/compose/).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './processes.js';

export type Healthcheck = { test?: string | string[]; disable?: boolean } & Record<string, unknown>;
export type PortSpec =
  | string
  | number
  | { target: number | string; published?: number | string; host_ip?: string };
export type DependsOn = string[] | Record<string, { condition?: string; required?: boolean }>;

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | Array<string | { path: string; required?: boolean }>;
  ports?: PortSpec[];
  container_name?: string;
  depends_on?: DependsOn;
  healthcheck?: Healthcheck;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  stop_grace_period?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

export const readRepoFile = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** docker-compose.yml with YAML merge keys (`<<: *anchor`) resolved, as Compose does. */
export function readCompose(path = 'docker-compose.yml'): ComposeFile {
  return parse(readRepoFile(path), { merge: true }) as ComposeFile;
}

/**
 * Compose's variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$` (a literal `$`); a default may itself be
 * interpolated (`${A:-${B:-x}}`, nested once). `vars` plays the part of the shell environment and
 * the project's .env file (empty: what a fresh checkout without .env gets).
 */
export function interpolate(value: string, vars: Record<string, string | undefined> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}$]|\$(?!\{)|\$\{[^}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const v = vars[name];
      const missing = colon === ':' ? v === undefined || v === '' : v === undefined;
      if (op === '-') return missing ? interpolate(arg!, vars) : v!;
      if (op === '?' && missing) throw new Error(`${name}: ${arg || 'required'}`);
      return v ?? '';
    },
  );
}

/** A service's `environment`, in either form, interpolated. */
export function serviceEnvironment(
  service: ComposeService,
  vars: Record<string, string | undefined> = {},
): Record<string, string> {
  const env = service.environment ?? {};
  const pairs: Array<[string, string]> = Array.isArray(env)
    ? env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      })
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v, vars)]));
}

/** Splits a string `command` the way Compose does for simple commands (no quoting is used here). */
export function splitCommand(command: string | string[]): string[] {
  if (Array.isArray(command)) return command.map(String);
  if (/["'\\]/.test(command)) throw new Error(`quoted command not supported by this test: ${command}`);
  return command.trim().split(/\s+/);
}

// ---- Dockerfile ------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (current !== '' && line.startsWith('#')) continue; // comment lines inside a continuation
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current) logical.push(current);
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`cannot read FROM ${args}`);
      stages.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`${keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

/** An exec-form (`["a", "b"]`) or shell-form instruction argument as a word list. */
export function execForm(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return ['/bin/sh', '-c', args];
}

export const instructions = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);

/** The exec words of a HEALTHCHECK instruction's command (options such as --interval skipped). */
export function healthcheckCommand(args: string): string[] | 'NONE' {
  const m = /^(?:--\S+\s+)*(CMD|NONE)\b\s*(.*)$/.exec(args);
  if (!m) throw new Error(`cannot read HEALTHCHECK ${args}`);
  return m[1] === 'NONE' ? 'NONE' : execForm(m[2]!);
}

/** The default command (CMD) of the Dockerfile's final stage. */
export function defaultCommand(stages: readonly Stage[]): string[] {
  const cmd = instructions(stages.at(-1)!, 'CMD').at(-1);
  if (!cmd) throw new Error('the final stage has no CMD');
  return execForm(cmd.args);
}

/** `ENV A=1 B=2` instructions of a stage as a map (the `ENV A 1` legacy form too). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions(stage, 'ENV')) {
    if (!args.includes('=')) {
      const [k, ...rest] = args.split(/\s+/);
      env[k!] = rest.join(' ');
      continue;
    }
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      env[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    }
  }
  return env;
}

// ---- .env files ------------------------------------------------------------------------------

export interface EnvLine {
  key: string;
  value: string;
  /** `# KEY=value`: documented, not set */
  commented: boolean;
  /** 1-based line number */
  line: number;
  /** the comment line just above, if any */
  comment?: string;
}

const ENV_LINE = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;

/** The variables of a .env file, set (`KEY=value`) and documented (`# KEY=value`). */
export function parseEnvFile(text: string): EnvLine[] {
  const lines = text.split('\n');
  const out: EnvLine[] = [];
  lines.forEach((raw, i) => {
    const m = ENV_LINE.exec(raw.trim());
    if (!m) return;
    const above = lines[i - 1]?.trim() ?? '';
    const comment = above.startsWith('#') && !ENV_LINE.test(above) ? above.replace(/^#\s*/, '') : undefined;
    out.push({
      key: m[2]!,
      value: m[3]!,
      commented: m[1] !== undefined,
      line: i + 1,
      ...(comment ? { comment } : {}),
    });
  });
  return out;
}

// ---- ports, durations, waiting ---------------------------------------------------------------

export interface PublishedPort {
  hostIp: string | undefined;
  published: string | undefined;
  target: string;
}

/** Short (`[IP:]HOST:CONTAINER[/proto]`) and long port syntax as one shape. */
export function publishedPort(spec: PortSpec): PublishedPort {
  if (typeof spec === 'object') {
    return {
      hostIp: spec.host_ip,
      published: spec.published === undefined ? undefined : String(spec.published),
      target: String(spec.target),
    };
  }
  const parts = String(spec)
    .replace(/\/\w+$/, '')
    .split(':');
  const target = parts.pop()!;
  const published = parts.pop();
  const hostIp = parts.length ? parts.join(':').replace(/^\[|\]$/g, '') : undefined;
  return { hostIp, published, target };
}

/** A Compose duration (`40s`, `1m30s`, `500ms`) in ms. */
export function durationMs(value: string): number {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/g;
  let rest = value;
  for (const m of value.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.replace(m[0], '');
  }
  if (rest.trim() !== '') throw new Error(`not a duration: ${value}`);
  return total;
}

/** A port free right now (listen on 0, close); the caller binds it soon after. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Calls `attempt` until it returns a value other than undefined, at most until `timeoutMs`
 * has passed (then rejects with `what` and the last error); `stop` ends the wait early with its
 * message (e.g. the process under test exited).
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number; stop?: () => string | undefined } = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 100 } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    const stopped = opts.stop?.();
    if (stopped !== undefined) throw new Error(`${what}: ${stopped}`);
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GET `url` and parse JSON when the answer is 2xx; undefined otherwise (for pollUntil). */
export async function getJson(url: string, timeoutMs = 2_000): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  return res.json();
}
