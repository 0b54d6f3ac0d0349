--[[
  The app-wide provider call budget, shared by every worker process (GCRA with reservations):
  calls get evenly spaced slots on Redis's clock, so processes need no clock agreement and a
  burst never reaches the provider as a burst.

  KEYS[1] next slot (theoretical arrival time, ms)   KEYS[2] pause (set after a 416)
  ARGV[1] spacing (ms)

  Returns 0 to call now, a positive number of ms to wait for the reserved slot, or minus the
  remaining app-wide pause, in which case nothing was reserved.
]]
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return -paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local spacing = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') or 0, now)
redis.call('SET', KEYS[1], string.format('%.3f', slot + spacing), 'PX', math.ceil(slot + spacing - now) + 1000)
return math.ceil(slot - now)
