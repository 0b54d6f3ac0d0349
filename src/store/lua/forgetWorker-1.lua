--[[
  Drops a dead worker from the registry, unless it beat again since it was found silent.
  KEYS[1] workers (zset)   ARGV[1] worker id   ARGV[2] its last beat as read (ms)
  Returns 1 forgotten, 0 it beat again (or was gone).
]]
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) ~= tonumber(ARGV[2]) then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
