import type { Redis } from 'ioredis';
import { applyEvent } from './lua/apply-event.js';
import { fencedWrite, releaseLease, renewLease } from './lua/fenced-write.js';
import { acquireCall, pauseCalls } from './lua/rate-limit.js';

const SCRIPTS = [applyEvent, fencedWrite, renewLease, releaseLease, acquireCall, pauseCalls];

type ScriptFn = (...args: Array<string | number>) => Promise<number>;
export type ScriptedRedis = Redis & Record<(typeof SCRIPTS)[number]['name'], ScriptFn>;

/** Registers the product's Lua scripts as commands (EVALSHA with automatic fallback). */
export function withScripts(redis: Redis): ScriptedRedis {
  for (const s of SCRIPTS) {
    if (!(s.name in redis)) redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
  return redis as ScriptedRedis;
}
