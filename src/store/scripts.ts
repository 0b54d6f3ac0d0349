import { readdirSync, readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { RedisClient } from '../jobs/connection.js';

type Arg = string | number;

/**
 * The product's atomic Redis operations, one `.lua` file each in ./lua (as bullmq's
 * src/commands): `<name>-<number of keys>.lua`, registered as the command `fs<Name>`. Each
 * file's header says what its KEYS and ARGV hold and what it returns.
 */
declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsApplyEvent(...keysThenArgs: Arg[]): Result<number, Context>;
    fsFencedWrite(...keysThenArgs: Arg[]): Result<number, Context>;
    fsSaveEvaluation(...keysThenArgs: Arg[]): Result<number, Context>;
    fsMigrateFacts(...keysThenArgs: Arg[]): Result<number, Context>;
    fsRenewLease(lease: string, token: string, ttlMs: number): Result<number, Context>;
    fsAcquireLease(
      lease: string,
      holders: string,
      token: string,
      ttlMs: number,
      account: string,
      holderTail: string,
    ): Result<number, Context>;
    fsReleaseLease(lease: string, holders: string, token: string, account: string): Result<number, Context>;
    fsBeat(alive: string, workers: string, worker: string, ttlMs: number): Result<number, Context>;
    fsSilentWorkers(workers: string, ttlMs: number): Result<string[], Context>;
    fsForgetWorker(workers: string, worker: string, lastBeat: number): Result<number, Context>;
    fsTakeOver(
      lease: string,
      holders: string,
      jobLock: string,
      account: string,
      holder: string,
      leaseToken: string,
      jobToken: string,
    ): Result<number, Context>;
    fsAcquireCall(slot: string, pause: string, spacingMs: number): Result<number, Context>;
    fsPauseCalls(
      pause: string,
      streak: string,
      baseMs: number,
      maxMs: number,
      jitter: number,
    ): Result<number, Context>;
    fsInstallRules(...keysThenArgs: Arg[]): Result<number, Context>;
    fsClaimVerification(verified: string, now: number, minIntervalMs: number): Result<string | null, Context>;
  }
}

const LUA_DIR = new URL('./lua/', import.meta.url);

interface Script {
  command: string;
  numberOfKeys: number;
  lua: string;
}

function loadScripts(): Script[] {
  return readdirSync(LUA_DIR)
    .flatMap((file) => {
      const m = /^([a-z][A-Za-z]*)-(\d+)\.lua$/.exec(file);
      return m ? [{ file, name: m[1]!, keys: Number(m[2]) }] : [];
    })
    .map(({ file, name, keys }) => ({
      command: `fs${name[0]!.toUpperCase()}${name.slice(1)}`,
      numberOfKeys: keys,
      lua: readFileSync(new URL(file, LUA_DIR), 'utf8'),
    }));
}

let scripts: Script[] | undefined;

/** Registers the product's Lua scripts as commands on a connection (EVALSHA, EVAL fallback). */
export function withScripts<R extends RedisClient>(redis: R): R {
  scripts ??= loadScripts();
  for (const s of scripts) {
    if (!(s.command in redis)) redis.defineCommand(s.command, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
  return redis;
}
