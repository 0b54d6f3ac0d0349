--[[
  Extends a lease if it is still the caller's.
  KEYS[1] lease   ARGV[1] token   ARGV[2] TTL (ms)
  Returns 1 renewed, 0 not ours (expired or taken).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
