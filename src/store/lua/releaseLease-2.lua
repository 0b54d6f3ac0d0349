--[[
  Deletes a lease, and its holder record, if they are still the caller's.
  KEYS[1] lease:<account>   KEYS[2] holders (hash)
  ARGV[1] token   ARGV[2] account
  Returns 1 released, 0 not ours.
]]
local held = redis.call('HGET', KEYS[2], ARGV[2])
if held and string.sub(held, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then redis.call('HDEL', KEYS[2], ARGV[2]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
