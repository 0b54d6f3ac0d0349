import { z } from 'zod';
import type { AccountLimits } from './events/limits.js';
import type { ValidationContext } from './events/validate.js';
import { formatPath } from './rules/format-issues.js';
import { DEFAULT_PARTITIONS, type Keys, keysFor, MAX_PARTITIONS } from './store/keys.js';
import { TENCENT_LIMITS } from './tencent/limits.js';
import { YUNXIN_LIMITS } from './yunxin/limits.js';

const int = (min: number) => z.coerce.number().int().min(min);

export const PROVIDERS = ['yunxin', 'tencent'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * .env.example ships every secret as `change-me-…`; a copied file left as it is would run with
 * secrets everyone knows. Such a value is refused, whatever follows the prefix.
 */
export const PLACEHOLDER_PREFIX = 'change-me';

/** The secrets .env.example holds a placeholder for (test/compose/compose.test.ts keeps both in step). */
export const SECRET_VARIABLES = [
  'PROVIDER_SECRET',
  'DASHBOARD_PASSWORD',
  'DASHBOARD_TOKEN',
  'INGEST_TOKEN',
] as const;

/** A secret: any string but the .env.example placeholder. */
const secret = (min: number, tooShort: string) =>
  z
    .string()
    .min(min, tooShort)
    .refine(
      (v) => !v.toLowerCase().startsWith(PLACEHOLDER_PREFIX),
      `still the placeholder from .env.example (${PLACEHOLDER_PREFIX}-…): set a secret of your own, e.g. openssl rand -hex 24`,
    );

/**
 * Every environment variable the service reads, in one schema (the README's table is made
 * from the `describe` texts). A bad value stops the process with a message naming the variable.
 */
export const configSchema = z.object({
  REDIS_URL: z
    .string()
    .url()
    .default('redis://127.0.0.1:6379')
    .describe('Redis for queues, facts and ledger'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^:\s]+$/, 'no ":" or spaces')
    .default('{folder-sync}')
    .describe('prefix of every Redis key; keep the {hash tag} for Redis Cluster'),
  REDIS_CLUSTER_NODES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each node as host:port')))
    .describe(
      'host:port,host:port,…: connect to a Redis Cluster through these nodes (REDIS_URL then gives only the scheme, user and password)',
    ),
  PARTITIONS: int(1)
    .max(MAX_PARTITIONS)
    .default(DEFAULT_PARTITIONS)
    .describe(
      "partitions accounts are hashed into, each under a {hash tag} of its own; fixed at the deployment's first start (docs/partitions.md)",
    ),
  WORKER_PARTITIONS: z
    .string()
    .regex(/^(all|\d+(-\d+)?(,\d+(-\d+)?)*)$/, 'all, or partition numbers and ranges such as 0-7,12')
    .default('all')
    .describe('the partitions whose events and reconciles this worker process takes (all, or e.g. 0-7,12)'),
  REDIS_ALLOW_EVICTION: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe(
      "true: start even when Redis' `maxmemory-policy` is not `noeviction` (evicted keys lose jobs, locks and facts)",
    ),
  FOLDER_RULES: z
    .string()
    .default('examples/rules.json')
    .describe('path of the app-wide folder rules (JSON or YAML)'),
  PROVIDER: z
    .enum(PROVIDERS)
    .default('yunxin')
    .describe('which chat provider the groups live in: yunxin or tencent'),
  // PROVIDER_…: what every provider has, defaulting per provider (PROVIDER_DEFAULTS)
  PROVIDER_ENDPOINT: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().url()).min(1))
    .describe(
      "the provider's base URLs, primary first, comma-separated (Tencent: your SDKAppID's region domain first)",
    ),
  PROVIDER_APP_ID: z
    .string()
    .min(1)
    .optional()
    .describe('the app at the provider: Yunxin AppKey, Tencent SDKAppID'),
  PROVIDER_SECRET: secret(1, 'empty')
    .optional()
    .describe('Yunxin AppSecret, Tencent key UserSig is signed with (never logged)'),
  PROVIDER_RATE_LIMIT: int(1).describe('provider calls per second, all processes together'),
  PROVIDER_TIMEOUT_MS: int(100).default(10_000).describe('header and body timeout of each provider call'),
  // only Tencent has an admin account, so it keeps its provider's prefix
  TENCENT_ADMIN: z
    .string()
    .min(1)
    .default('administrator')
    .describe('Tencent app admin account (the REST identifier)'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
  DEBOUNCE_MS: int(0)
    .default(250)
    .describe("coalescing window from an account's first event to its reconcile"),
  BACKLOG_WAIT_MS: int(0)
    .default(5_000)
    .describe(
      "while an account's events still wait to be folded, its reconcile waits for them, at most this long",
    ),
  WORKER_CONCURRENCY: int(1).default(16).describe('accounts reconciled at once per worker process'),
  EVENT_CONCURRENCY: int(1).default(4).describe('event batches folded at once per worker process'),
  LOCK_MS: int(300)
    .default(3_000)
    .describe(
      'heartbeat and lease: a worker silent this long counts as dead and its accounts are taken over (they resume about LOCK_MS + 2 s after a crash); a live worker whose event loop stalls longer loses its accounts safely',
    ),
  HTTP_HOST: z
    .string()
    .default('127.0.0.1')
    .describe('address the HTTP server binds (dashboard, ingest, metrics)'),
  HTTP_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe('port of `folder-sync serve` and `dev`'),
  WORKER_METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(0)
    .describe('when set, `folder-sync worker` serves /metrics, /healthz and /readyz on this port'),
  DASHBOARD_USER: z.string().min(1).default('admin').describe('basic-auth user of /admin/queues'),
  DASHBOARD_PASSWORD: secret(8, 'at least 8 characters')
    .optional()
    .describe('basic-auth password of /admin/queues (unset: basic auth off)'),
  DASHBOARD_TOKEN: secret(16, 'at least 16 characters')
    .optional()
    .describe(
      'bearer token accepted by /admin/queues (unset: off); with neither set the dashboard refuses everyone',
    ),
  DASHBOARD_READ_ONLY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('dashboard shows queues but every write (retry, remove, pause…) answers 405'),
  INGEST_TOKEN: secret(16, 'at least 16 characters')
    .optional()
    .describe('bearer token for POST /v1/events (unset: ingest refuses everyone)'),
  INGEST_MAX_BYTES: int(1024)
    .default(1024 * 1024)
    .describe('largest accepted POST /v1/events body'),
  EVENT_MAX_FUTURE_MS: int(0)
    .default(24 * 3600 * 1000)
    .describe(
      'an event whose `at` is further ahead of the server clock is refused (a fact from the future could never be undone)',
    ),
  RULE_MAX_IN_VALUES: int(1).default(100).describe('values in one `in` list of a user folder rule'),
  USER_FOLDER_MAX_RULE_SIZE: int(1)
    .default(200)
    .describe(
      'rule nodes plus `in` values of one user folder (a reconcile evaluates it against every conversation)',
    ),
  ACCOUNT_MAX_USER_FOLDERS: int(0).default(50).describe('live user folders of one account; more are refused'),
  ACCOUNT_MAX_CONVERSATIONS: int(0)
    .default(100_000)
    .describe('live conversations of one account the app may describe; events about more are refused'),
  SHUTDOWN_TIMEOUT_MS: int(100)
    .default(30_000)
    .describe('SIGTERM: finish in-flight work for at most this long, then exit'),
  // Unset: the provider's documented value (src/yunxin/limits.ts, src/tencent/limits.ts).
  GROUPS_PER_CONVERSATION: int(1)
    .optional()
    .describe(
      `provider limit (unset: Yunxin ${YUNXIN_LIMITS.groupsPerConversation}; Tencent none, i.e. ${TENCENT_LIMITS.groupsPerConversation})`,
    ),
  GROUPS_PER_ACCOUNT: int(1)
    .optional()
    .describe(
      `provider limit, depends on the IM package (unset: Yunxin ${YUNXIN_LIMITS.groupsPerAccount}, Tencent ${TENCENT_LIMITS.groupsPerAccount})`,
    ),
  CONVERSATIONS_PER_GROUP: int(1)
    .optional()
    .describe(
      `provider limit, depends on the IM package (unset: Yunxin ${YUNXIN_LIMITS.conversationsPerGroup}, Tencent ${TENCENT_LIMITS.groupedConversationsPerAccount})`,
    ),
  GROUP_NAME_MAX_LENGTH: int(1)
    .optional()
    .describe(
      `longest group name sent; longer folder names are cut (unset: Yunxin ${YUNXIN_LIMITS.defaultGroupNameChars} characters — undocumented, a conservative choice; Tencent ${TENCENT_LIMITS.groupNameMaxBytes} UTF-8 bytes)`,
    ),
  CONVERSATIONS_PER_ACCOUNT: int(1)
    .optional()
    .describe(
      `provider limit: distinct conversations in one account's groups (unset: Yunxin none, Tencent ${TENCENT_LIMITS.groupedConversationsPerAccount})`,
    ),
  RATE_LIMIT_BACKOFF_MS: int(1)
    .default(1_000)
    .describe('first app-wide pause after a 416; doubles per 416 in a row'),
  RATE_LIMIT_BACKOFF_MAX_MS: int(1).default(60_000).describe('longest app-wide pause after 416s'),
  CREATE_MISSING_CONVERSATIONS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true')
    .describe(
      'when the provider refuses to group a conversation that does not exist (Yunxin 110404), create it and add it again',
    ),
  YUNXIN_GROUP_CONVERSATIONS_ENDPOINT: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe(
      "read a group's members with the undocumented group-conversations endpoint instead of scanning the account's conversations (404/414 fall back)",
    ),
  RULES_MAX_DELETE_SHARE: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe(
      'a rules change that would delete more than this share of the app-folder groups is held until `folder-sync rules confirm` (1: never hold)',
    ),
  VERIFY_SHARE: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe(
      'share of the provider rate that continuous verification (re-reading groups, repairing drift) may use; 0: off',
    ),
  VERIFY_MIN_INTERVAL_MS: int(0)
    .default(3_600_000)
    .describe('verification reads one account back at most this often'),
  RETRY_BASE_MS: int(1).default(1_000).describe('first retry delay of a failed account or item'),
  RETRY_MAX_MS: int(1).default(300_000).describe('longest retry delay of a failed account or item'),
});

export type Config = z.output<typeof configSchema>;
export type ConfigKey = keyof typeof configSchema.shape;

/** The defaults that depend on PROVIDER, as environment values (the schema parses them). */
export const PROVIDER_DEFAULTS = {
  yunxin: {
    PROVIDER_ENDPOINT: 'https://open.yunxinapi.com,https://open-bak.yunxinapi.com',
    PROVIDER_RATE_LIMIT: String(YUNXIN_LIMITS.defaultCallsPerSecond),
  },
  tencent: {
    PROVIDER_ENDPOINT: 'https://console.tim.qq.com,https://adminapi.my-imcloud.com',
    PROVIDER_RATE_LIMIT: String(TENCENT_LIMITS.defaultCallsPerSecond),
  },
} as const satisfies Record<ProviderName, Partial<Record<ConfigKey, string>>>;

/**
 * What a deployment sets; the README lists these first and every other setting as advanced.
 * Workers cannot call the provider without PROVIDER, its app id and secret (and Tencent apps
 * outside China need their region's PROVIDER_ENDPOINT); every deployment names its Redis and its
 * own rules; without INGEST_TOKEN no event gets in. The dashboard is optional, so advanced.
 */
export const ESSENTIAL_SETTINGS = [
  'REDIS_URL',
  'PROVIDER',
  'PROVIDER_ENDPOINT',
  'PROVIDER_APP_ID',
  'PROVIDER_SECRET',
  'FOLDER_RULES',
  'INGEST_TOKEN',
] as const satisfies readonly ConfigKey[];

/**
 * The names from before the provider-neutral ones, still read (issue 15): each provider's
 * spelling of a PROVIDER_… setting. Only the configured provider's old names count.
 */
export const DEPRECATED_NAMES = {
  yunxin: {
    YUNXIN_ENDPOINT: 'PROVIDER_ENDPOINT',
    YUNXIN_APP_KEY: 'PROVIDER_APP_ID',
    YUNXIN_APP_SECRET: 'PROVIDER_SECRET',
    YUNXIN_RATE_LIMIT: 'PROVIDER_RATE_LIMIT',
    YUNXIN_TIMEOUT_MS: 'PROVIDER_TIMEOUT_MS',
  },
  tencent: {
    TENCENT_ENDPOINT: 'PROVIDER_ENDPOINT',
    TENCENT_SDKAPPID: 'PROVIDER_APP_ID',
    TENCENT_SECRET_KEY: 'PROVIDER_SECRET',
    TENCENT_RATE_LIMIT: 'PROVIDER_RATE_LIMIT',
    TENCENT_TIMEOUT_MS: 'PROVIDER_TIMEOUT_MS',
  },
} as const satisfies Record<ProviderName, Record<string, ConfigKey>>;

/** DEPRECATED_NAMES as a list. */
export const DEPRECATED_ALIASES = PROVIDERS.flatMap((provider) =>
  Object.entries(DEPRECATED_NAMES[provider]).map(([old, now]) => ({ old, now, provider })),
);
type Alias = (typeof DEPRECATED_ALIASES)[number];
type Warn = (message: string) => void;

/** How events are validated under this configuration, at `now`. */
export const eventValidation = (config: Config, now = Date.now()): ValidationContext => ({
  now,
  maxFutureMs: config.EVENT_MAX_FUTURE_MS,
  limits: { maxInValues: config.RULE_MAX_IN_VALUES, maxUserFolderRuleSize: config.USER_FOLDER_MAX_RULE_SIZE },
});

/** Live conversations and user folders one account may hold. */
export const accountLimits = (config: Config): AccountLimits => ({
  conversations: config.ACCOUNT_MAX_CONVERSATIONS,
  userFolders: config.ACCOUNT_MAX_USER_FOLDERS,
});

/** How the fold validates events and which per-account limits it enforces, now. */
export const foldOptions = (config: Config, now = Date.now()) => ({
  validation: eventValidation(config, now),
  accountLimits: accountLimits(config),
});

/** Variables the product reads that are not configuration of a running service (tests, tools). */
export const OTHER_ENV = ['NODE_ENV', 'SIMULATOR_ADMIN_TOKEN'] as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment; throws one ConfigError naming every bad variable and why. `warn` is
 * told of each deprecated name in use.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, warn = warnOncePerProcess): Config {
  const parsed = configSchema.safeParse(settingsIn(canonicalEnv(env, warn)));
  const lines = parsed.success
    ? crossFieldIssues(parsed.data)
    : parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (parsed.success && lines.length === 0) return parsed.data;
  throw invalid(lines);
}

const invalid = (lines: readonly string[]) =>
  new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);

/** A variable's value; empty means unset. */
const valueIn = (env: NodeJS.ProcessEnv, key: string) => (env[key] === '' ? undefined : env[key]);

/** The configured provider; undefined when PROVIDER names none (the schema says so). */
const providerOf = (env: NodeJS.ProcessEnv): ProviderName | undefined =>
  configSchema.shape.PROVIDER.safeParse(valueIn(env, 'PROVIDER')).data;

/** The schema's variables the environment sets, over its provider's defaults. */
function settingsIn(env: NodeJS.ProcessEnv): Record<string, string> {
  const set = Object.keys(configSchema.shape).flatMap((k) => {
    const value = valueIn(env, k);
    return value === undefined ? [] : [[k, value] as const];
  });
  return { ...PROVIDER_DEFAULTS[providerOf(env) ?? 'yunxin'], ...Object.fromEntries(set) };
}

/**
 * The environment with the configured provider's deprecated names moved to their new ones and
 * the other provider's dropped, `warn` told of each. An old and a new name that disagree are
 * refused: which one was meant cannot be known.
 */
export function canonicalEnv(env: NodeJS.ProcessEnv, warn = warnOncePerProcess): NodeJS.ProcessEnv {
  const provider = providerOf(env);
  if (!provider) return env;
  const out = { ...env };
  const conflicts = DEPRECATED_ALIASES.flatMap((alias) => moveAlias(out, alias, provider, warn));
  if (conflicts.length) throw invalid(conflicts);
  return out;
}

/** Moves one old name in `env` to its new one, or drops it (another provider's); a conflict, if any. */
function moveAlias(env: NodeJS.ProcessEnv, alias: Alias, provider: ProviderName, warn: Warn): string[] {
  const { old, now } = alias;
  const value = valueIn(env, old);
  delete env[old];
  if (value === undefined) return [];
  if (alias.provider !== provider) {
    warn(`${old} is ignored with PROVIDER=${provider} (and deprecated: ${now})`);
  } else if (valueIn(env, now) !== undefined && env[now] !== value) {
    return [`${old} and ${now} are both set, to different values: keep ${now} only (${old} is its old name)`];
  } else {
    env[now] = value;
    warn(`${old} is deprecated: use ${now}`);
  }
  return [];
}

const warned = new Set<string>();

/**
 * Tells each message once per process (the configuration may be loaded more than once), on
 * stderr, unless node runs with --no-deprecation. Written at once, not as process.emitWarning
 * does on the next tick: a process that exits on a configuration error still says which old
 * name became which new one (its message names the new one).
 */
export function warnOncePerProcess(message: string): void {
  if (warned.has(message) || process.noDeprecation) return;
  warned.add(message);
  process.stderr.write(`DeprecationWarning: ${message}\n`);
}

/** Mistakes no single variable shows. */
function crossFieldIssues(config: Config): string[] {
  const issues: string[] = [];
  if (config.PROVIDER === 'tencent' && config.PROVIDER_APP_ID && !/^[1-9]\d*$/.test(config.PROVIDER_APP_ID))
    issues.push('PROVIDER_APP_ID: a Tencent SDKAppID is a number');
  if (config.REDIS_CLUSTER_NODES.length && !/\{[^}]+\}/.test(config.QUEUE_PREFIX))
    issues.push(
      'QUEUE_PREFIX: needs a {hash tag} with REDIS_CLUSTER_NODES, e.g. {folder-sync}: app-wide scripts touch several keys of one slot',
    );
  const taken = parsePartitionList(config.WORKER_PARTITIONS, config.PARTITIONS);
  if (taken.length === 0) issues.push(`WORKER_PARTITIONS: "${config.WORKER_PARTITIONS}" names no partition`);
  const beyond = taken.filter((p) => p >= config.PARTITIONS);
  if (beyond.length)
    issues.push(`WORKER_PARTITIONS: ${beyond.join(', ')} not below PARTITIONS (${config.PARTITIONS})`);
  return issues;
}

/** `all`, or numbers and ranges (`0-7,12`), as a sorted list of partition numbers. */
export function parsePartitionList(text: string, partitions: number): number[] {
  if (text === 'all') return Array.from({ length: partitions }, (_, p) => p);
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    for (let p = from; p <= to!; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

/** The partitions this worker process consumes. */
export const workerPartitions = (config: Config): number[] =>
  parsePartitionList(config.WORKER_PARTITIONS, config.PARTITIONS);

/** The deployment's keys as this configuration names them. */
export const keysOf = (config: Config): Keys => keysFor(config.QUEUE_PREFIX, config.PARTITIONS);
