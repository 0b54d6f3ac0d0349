--[[
  A worker process's heartbeat: it is alive while KEYS[1] exists; the registry lets any process
  find workers that stopped beating (src/fleet/liveness.ts).
  KEYS[1] alive:<worker>   KEYS[2] workers (zset)
  ARGV[1] worker id   ARGV[2] TTL (ms)   ARGV[3] now (ms, the beater's clock: shown, never compared)
  Returns 1.
]]
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
