--[[
  Takes an account's lease when nobody holds it, and records who holds it (worker and BullMQ
  job), so that another process can take both over the moment that worker stops beating.
  The record is `<token>|<since>|<job token>|<job lock key>` (src/store/holders.ts reads it),
  `since` by Redis's clock, comparable with the heartbeats' (beat-2.lua).
  KEYS[1] lease:<account>   KEYS[2] holders (hash)
  ARGV[1] token   ARGV[2] TTL (ms)   ARGV[3] account
  ARGV[4] `<job token>|<job lock key>`, or '' to record no holder
  Returns 1 taken, 0 held by someone else.
]]
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
if ARGV[4] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[1] .. '|' .. now .. '|' .. ARGV[4])
end
return 1
