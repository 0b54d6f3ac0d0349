--[[
  After a 416: pauses every provider call of the app. The n-th 416 in a row pauses for
  min(max, base * 2^(n-1)) scaled by a jitter in [0.5, 1]; a pause is only ever extended. The
  streak is forgotten on the next successful call, or once no 416 arrives for 4 pause lengths.

  KEYS[1] pause   KEYS[2] streak
  ARGV[1] base (ms)   ARGV[2] max (ms)   ARGV[3] jitter (0..1)

  Returns the pause in ms.
]]
local n = redis.call('INCR', KEYS[2])
local ms = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) * 2 ^ (n - 1))
ms = math.max(1, math.floor(ms * (0.5 + 0.5 * tonumber(ARGV[3]))))
redis.call('PEXPIRE', KEYS[2], ms * 4)
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], n, 'PX', ms)
end
return ms
