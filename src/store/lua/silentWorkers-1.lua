--[[
  Registered workers whose last beat is older than the TTL, by Redis's clock: the candidates a
  takeover confirms against their `alive` keys. One small reply when nobody died.
  KEYS[1] workers (zset)   ARGV[1] TTL (ms)
  Returns { now (ms), id1, lastBeat1, id2, lastBeat2, … }.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local silent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'WITHSCORES')
table.insert(silent, 1, tostring(now))
return silent
