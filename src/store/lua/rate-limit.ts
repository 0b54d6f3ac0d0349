/**
 * The app-wide provider call budget, shared by every worker process (GCRA with reservations):
 * calls get evenly spaced slots on Redis's clock, so processes need no clock agreement and
 * a burst never reaches the provider as a burst. Returns 0 to call now, a positive number of
 * ms to wait for the reserved slot, or minus the remaining app-wide pause (after a 416), in
 * which case nothing was reserved.
 *
 * KEYS: next slot (theoretical arrival time), pause
 * ARGV: spacingMs
 */
export const acquireCall = {
  name: 'fsAcquireCall',
  numberOfKeys: 2,
  lua: `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return -paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local spacing = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') or 0, now)
redis.call('SET', KEYS[1], string.format('%.3f', slot + spacing), 'PX', math.ceil(slot + spacing - now) + 1000)
return math.ceil(slot - now)
`,
} as const;

/**
 * After a 416: pause every provider call of the app. The n-th 416 in a row pauses for
 * min(max, base * 2^(n-1)) scaled by a jitter in [0.5, 1]; a pause is only ever extended.
 * The streak is forgotten on the next successful call, or once no 416 arrives for 4 pause lengths.
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
