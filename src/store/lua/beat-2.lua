--[[
  A worker process's heartbeat: it is alive while KEYS[1] exists; the registry lets any process
  find workers that stopped beating (src/fleet/liveness.ts). Times are Redis's own clock, so
  hosts whose clocks differ still agree on who is silent.
  KEYS[1] alive:<worker>   KEYS[2] workers (zset: worker → last beat, ms)
  ARGV[1] worker id   ARGV[2] TTL (ms)
  Returns the beat's time (ms).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now, 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return now
