import { setTimeout as sleep } from 'node:timers/promises';
import { type Config, keysOf, loadConfig } from '../../src/config.js';
import { createRedis, type RedisClient, redisEndpoint } from '../../src/jobs/connection.js';
import { openPartitioned, type PartitionedQueue } from '../../src/jobs/partitioned-queue.js';
import { type PublishResult, publishMany } from '../../src/jobs/publish.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { errorSink } from '../../src/log.js';
import type { AppFolder } from '../../src/rules/schema.js';
import type { FaultsInput } from '../../src/simulators/kit/faults.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import {
  startTencentSimulator,
  type TencentSimulator,
  type TencentSimulatorOptions,
  tencentFaultsSchema,
} from '../../src/simulators/tencent/server.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import { conversationIdsOf } from '../../src/simulators/yunxin/existing-conversations.js';
import { faultsSchema } from '../../src/simulators/yunxin/faults.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulators/yunxin/server.js';
import {
  RATE_LIMIT_CODE as TENCENT_RATE_LIMITED,
  SUCCESS_CODE as TENCENT_SUCCESS,
} from '../../src/tencent/error-codes.js';
import type { WorkerObserver } from '../../src/workers/observer.js';
import { type RunningWorkers, startWorkers } from '../../src/workers/run-workers.js';
import {
  RATE_LIMIT_CODE as YUNXIN_RATE_LIMITED,
  SUCCESS_CODE as YUNXIN_SUCCESS,
} from '../../src/yunxin/error-codes.js';
import { capturedLogger } from './log-capture.js';
import { deleteKeys, type RedisSetup, redisEnv, uniquePrefix } from './redis.js';

export type ProviderName = 'yunxin' | 'tencent';
/** For `describe.each(PROVIDERS)`: engine tests that hold for every provider. */
export const PROVIDERS: readonly ProviderName[] = ['yunxin', 'tencent'];

/** A provider's group as a test compares it: members as conversation keys (`type|target`). */
export interface SimGroup {
  groupId: string;
  name: string;
  /** every name the group has had, oldest first (when the simulator tracks them) */
  names?: string[];
  members: string[];
  /** Yunxin: the group's server_extension (where the marker is); Tencent has none */
  serverExtension?: string;
}

/** A simulator's groups, the same for both providers. */
export interface GroupsView {
  provider: ProviderName;
  /** accounts that have any state in the simulator */
  accounts(): string[];
  /** the account's groups in creation order */
  snapshot(account: string): SimGroup[];
}

/** The codes each simulator answers, by meaning (server errors: what its faults inject by default). */
export const SIM_CODES: Readonly<
  Record<ProviderName, { success: number; rateLimited: number; serverErrors: readonly number[] }>
> = {
  yunxin: {
    success: YUNXIN_SUCCESS,
    rateLimited: YUNXIN_RATE_LIMITED,
    serverErrors: faultsSchema.parse({}).serverErrorCodes,
  },
  tencent: {
    success: TENCENT_SUCCESS,
    rateLimited: TENCENT_RATE_LIMITED,
    serverErrors: tencentFaultsSchema.parse({}).serverErrorCodes,
  },
};

export function yunxinView(sim: Simulator): GroupsView {
  return {
    provider: 'yunxin',
    accounts: () => sim.state.accountNames(),
    snapshot: (account) =>
      sim.state.snapshot(account).map((g) => ({
        groupId: g.groupId,
        name: g.name,
        names: g.names,
        members: g.members.map((m) => m.slice(account.length + 1)),
        serverExtension: g.serverExtension,
      })),
  };
}

export function tencentView(sim: TencentSimulator): GroupsView {
  return {
    provider: 'tencent',
    accounts: () => sim.state.accountNames(),
    snapshot: (account) => sim.state.snapshot(account),
  };
}

export interface Engine<S extends SimulatorBase = Simulator> extends GroupsView {
  sim: S;
  /** the code the simulator's call log counts a success under (Yunxin 200, Tencent 0) */
  successCode: number;
  config: Config;
  redis: RedisClient;
  events: PartitionedQueue;
  reconcile: PartitionedQueue;
  /** the in-process workers (none with `noWorkers`) */
  workers: Pick<RunningWorkers, 'workers' | 'close' | 'ready'> & Partial<RunningWorkers>;
  logs: () => string;
  publish(events: readonly unknown[]): Promise<PublishResult>;
  /** the simulator's groups of an account as {name → sorted members (conversation keys)} */
  groups(account: string): Record<string, string[]>;
  /** polls until the check passes (returns) or the deadline passes (throws the last failure) */
  eventually<T>(check: () => T | Promise<T>, timeoutMs?: number): Promise<T>;
  /** waits until no event or reconcile job is waiting, delayed or active */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface EngineOptions {
  provider?: 'yunxin';
  sim?: SimulatorOptions;
  env?: Record<string, string>;
  observer?: WorkerObserver;
  /** start no workers (tests that run worker processes themselves) */
  noWorkers?: boolean;
  /** a single Redis (default) or the run's 3-master Redis Cluster */
  redis?: RedisSetup;
  /**
   * false: published events do not make their conversations exist in the Yunxin simulator (a
   * test of missing conversations); default true, as conversations the app describes exist
   */
  seedConversations?: boolean;
}

export type TencentEngineOptions = Omit<EngineOptions, 'provider' | 'sim'> & {
  provider: 'tencent';
  sim?: TencentSimulatorOptions;
};

/** Simulator options both providers' simulators take, for tests parametrised by provider. */
export interface CommonSimOptions {
  rateLimit?: SimulatorOptions['rateLimit'];
  faults?: FaultsInput<'group.create' | 'group.update' | 'group.delete' | 'group.list'>;
  seed?: number;
  limits?: { groupsPerAccount?: number };
}
export type AnyEngineOptions = Omit<EngineOptions, 'provider' | 'sim'> & {
  provider: ProviderName;
  sim?: CommonSimOptions;
};

/** The environment variables that hold the provider's rate limit and timeout. */
export function providerEnv(settings: { rateLimit?: number; timeoutMs?: number }): Record<string, string> {
  return {
    ...(settings.rateLimit === undefined ? {} : { PROVIDER_RATE_LIMIT: String(settings.rateLimit) }),
    ...(settings.timeoutMs === undefined ? {} : { PROVIDER_TIMEOUT_MS: String(settings.timeoutMs) }),
  };
}

/** Fast calls to an unthrottled simulator, whichever provider it stands in for. */
const SIM_TRANSPORT = providerEnv({ rateLimit: 1000, timeoutMs: 2000 });

/** The provider's simulator and the configuration that points the engine at it. */
async function startProviderSimulator(opts: EngineOptions | TencentEngineOptions | AnyEngineOptions) {
  const base = { admin: true, rateLimit: { perSecond: 0 } };
  if (opts.provider === 'tencent') {
    const sim = await startTencentSimulator({ ...base, ...(opts.sim as TencentSimulatorOptions) });
    const env = {
      PROVIDER: 'tencent',
      PROVIDER_ENDPOINT: sim.url,
      PROVIDER_APP_ID: String(TENCENT_DEMO_APP.sdkappid),
      PROVIDER_SECRET: TENCENT_DEMO_APP.secretKey,
      TENCENT_ADMIN: TENCENT_DEMO_APP.admin,
      ...SIM_TRANSPORT,
    };
    return {
      sim: sim as SimulatorBase,
      view: tencentView(sim),
      env,
      seed: (_events: readonly unknown[]) => {},
    };
  }
  const sim = await startSimulator({ ...base, ...(opts.sim as SimulatorOptions) });
  const env = {
    PROVIDER_ENDPOINT: sim.url,
    PROVIDER_APP_ID: DEMO_APP.appKey,
    PROVIDER_SECRET: DEMO_APP.appSecret,
    ...SIM_TRANSPORT,
  };
  const seed = (events: readonly unknown[]) => sim.state.seedConversations(conversationIdsOf(events));
  return { sim: sim as SimulatorBase, view: yunxinView(sim), env, seed };
}

/**
 * An engine's partitions unless a test sets PARTITIONS: the product's 16 by default; the fast
 * suite sets TEST_PARTITIONS=4 (vitest.config.ts), since every partition costs each worker two
 * BullMQ workers and their connections (33 at 16), a quarter of an engine test's CPU.
 */
const ENGINE_PARTITIONS = process.env['TEST_PARTITIONS'] ?? '16';

/** A simulator, a private key prefix in the test Redis, and the workers running in-process. */
export async function startEngine(opts?: EngineOptions): Promise<Engine>;
export async function startEngine(opts: TencentEngineOptions): Promise<Engine<TencentSimulator>>;
export async function startEngine(opts: AnyEngineOptions): Promise<Engine<SimulatorBase>>;
export async function startEngine(
  opts: EngineOptions | TencentEngineOptions | AnyEngineOptions = {},
): Promise<Engine<SimulatorBase>> {
  const { sim, view, env, seed } = await startProviderSimulator(opts);
  const prefix = uniquePrefix('engine');
  const config = loadConfig({
    ...redisEnv(opts.redis),
    QUEUE_PREFIX: prefix,
    PARTITIONS: ENGINE_PARTITIONS,
    FOLDER_RULES: 'examples/rules.json',
    ...env,
    DEBOUNCE_MS: '50',
    RETRY_BASE_MS: '50',
    RETRY_MAX_MS: '1000',
    RATE_LIMIT_BACKOFF_MS: '50',
    RATE_LIMIT_BACKOFF_MAX_MS: '500',
    ...opts.env,
  });
  const { logger: log, text: logged } = capturedLogger({ level: 'info', name: 'test' });
  // the test's own connection and queues: their errors land in the captured log
  const redis = createRedis(redisEndpoint(config), 'worker', errorSink(log, 'test redis'));
  const events = openPartitioned(QUEUES.events, redis, keysOf(config), errorSink(log, 'test queue'));
  const reconcile = openPartitioned(QUEUES.reconcile, redis, keysOf(config), errorSink(log, 'test queue'));
  const workers = opts.noWorkers
    ? { workers: [], close: async () => {}, ready: async () => true }
    : await startWorkers(config, log, opts.observer);

  const eventually = async <T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(25);
      }
    }
  };

  return {
    ...view,
    sim,
    successCode: SIM_CODES[view.provider].success,
    config,
    redis,
    events,
    reconcile,
    workers,
    logs: logged,
    publish: (list) => {
      if (opts.seedConversations !== false) seed(list);
      return publishMany(events, list);
    },
    groups: (account) =>
      Object.fromEntries(view.snapshot(account).map((g) => [g.name, [...g.members].sort()])),
    eventually,
    idle: (timeoutMs) =>
      eventually(async () => {
        for (const q of [events, reconcile]) {
          const c = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
          const busy = Object.values(c).reduce((a, b) => a + b, 0);
          if (busy > 0) throw new Error(`${q.name} still has ${JSON.stringify(c)}`);
        }
      }, timeoutMs),
    close: async () => {
      await workers.close();
      await events.close();
      await reconcile.close();
      await sim.close();
      await deleteKeys(redisEndpoint(config), prefix);
      redis.disconnect();
    },
  };
}

let seq = 0;
/** Builds a valid event with a unique id; `at` defaults to an increasing clock. */
export function ev(
  type: string,
  account: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  seq++;
  return { id: `t-${process.pid}-${seq}`, type, account, at: 1_763_700_000_000 + seq, ...extra };
}
export const team = (target: string) => ({ conversation: { type: 2, target } });
export const p2p = (target: string) => ({ conversation: { type: 1, target } });

/**
 * The fleet side of ReconcileDeps for tests that call reconcileAccount directly: these rules at
 * no generation, and one deployment epoch throughout.
 */
export function fixedFleet(rules: { folders: readonly AppFolder[] }, epoch = 'test-epoch') {
  return {
    rules: async () => ({ folders: rules.folders, generation: undefined }),
    epoch: async () => epoch,
  };
}
