/**
 * The app-wide provider call budget, shared by every worker process: a sliding-window log of
 * call start times (Redis's clock, so processes need no clock agreement). Returns 0 when the
 * caller may call now (its start is recorded), else the milliseconds to wait. While an
 * app-wide pause (after a 416) is in force it returns the pause's remaining time.
 *
 * KEYS: window (zset), pause
 * ARGV: limit, windowMs, member (unique per attempt)
 */
export const acquireCall = {
  name: 'fsAcquireCall',
  numberOfKeys: 2,
  lua: `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`,
} as const;

/**
 * After a 416: pause every provider call of the app. The n-th 416 in a row pauses for
 * min(max, base * 2^(n-1)) scaled by a jitter in [0.5, 1]; a pause is only ever extended.
 * The streak is forgotten once no 416 arrives for 4 pause lengths.
 * Returns the pause in ms.
 *
 * KEYS: pause, streak
 * ARGV: baseMs, maxMs, jitter (0..1)
 */
export const pauseCalls = {
  name: 'fsPauseCalls',
  numberOfKeys: 2,
  lua: `
local n = redis.call('INCR', KEYS[2])
local ms = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) * 2 ^ (n - 1))
ms = math.max(1, math.floor(ms * (0.5 + 0.5 * tonumber(ARGV[3]))))
redis.call('PEXPIRE', KEYS[2], ms * 4)
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], n, 'PX', ms)
end
return ms
`,
} as const;
