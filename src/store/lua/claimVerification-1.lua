--[[
  Claims the least recently verified account for a read-back, unless even that one was read
  back less than the minimum interval ago. The claim moves it to the end of the line at once, so
  two processes never claim the same account.

  KEYS[1] verified (sorted set: account, scored by its last read-back in ms; 0 = never)
  ARGV[1] now (ms)   ARGV[2] minimum interval between two read-backs of an account (ms)

  Returns the account, or false when none is due.
]]
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #oldest == 0 then return false end
if tonumber(oldest[2]) > tonumber(ARGV[1]) - tonumber(ARGV[2]) then return false end
redis.call('ZADD', KEYS[1], ARGV[1], oldest[1])
return oldest[1]
