--[[
  Takes an account's lease when nobody holds it, and records who holds it (worker and BullMQ
  job), so that another process can take both over the moment that worker stops beating.
  KEYS[1] lease:<account>   KEYS[2] holders (hash)
  ARGV[1] token   ARGV[2] TTL (ms)   ARGV[3] account   ARGV[4] holder record ('' records none)
  Returns 1 taken, 0 held by someone else.
]]
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
return 1
