--[[
  Moves legacy facts fields (one per register, before 0.3) into their conversation's record,
  one conversation at a time and only if nothing changed since the caller read them (a fold
  meanwhile: that conversation is left for the next reconcile). The record merged by the
  caller keeps the newer of each register, as the reader does, so the facts read the same.

  KEYS[1] facts:<account>   KEYS[2] counts:<account> (n: kept equal to the fold's count of
          fields it made, so HLEN(facts) - n stays what the kept evaluation expects)
  ARGV per conversation: conversation, had ('1' | '0'), record as read, merged record, k,
       then k pairs of legacy field and value as read

  Returns the number of conversations moved.
]]
local moved, delta = 0, 0
local i = 1
while i <= #ARGV do
  local conv, had, old, merged, k = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local first = i + 5
  i = first + 2 * k
  local current = redis.call('HGET', KEYS[1], conv)
  local same = (had == '1' and current == old) or (had == '0' and not current)
  for j = first, first + 2 * k - 1, 2 do
    if same and redis.call('HGET', KEYS[1], ARGV[j]) ~= ARGV[j + 1] then same = false end
  end
  if same then
    delta = delta + redis.call('HSET', KEYS[1], conv, merged)
    for j = first, first + 2 * k - 1, 2 do delta = delta - redis.call('HDEL', KEYS[1], ARGV[j]) end
    moved = moved + 1
  end
end
if delta ~= 0 then redis.call('HINCRBY', KEYS[2], 'n', delta) end
return moved
