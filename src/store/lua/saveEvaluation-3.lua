--[[
  Writes an account's kept evaluation (src/plan/incremental.ts) and clears the dirty marks of
  the conversations it evaluated, together and only while the caller holds the account's
  lease: a mark is removed only while it still holds the change number that was read, so a
  conversation the fold changed again meanwhile stays marked for the next reconcile.

  KEYS[1] lease:<account>  KEYS[2] eval:<account>  KEYS[3] dirty:<account>
  ARGV[1] lease token   ARGV[2] '1': delete the evaluation first (a rebuild, or dropping it)
  ARGV[3] S, the number of fields to set   ARGV[4] D, the number of fields to delete
  ARGV[5 .. 4+2S] field, value pairs to set   then D fields to delete
  then conversation, change-number pairs: dirty marks to clear

  Returns 1 written, 0 lease lost.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
local sets, dels = tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
-- in slices: unpack takes a few thousand arguments at most
local function apply(command, key, from, count, stride)
  local chunk = 1000 * stride
  for start = from, from + count * stride - 1, chunk do
    local stop = math.min(start + chunk - 1, from + count * stride - 1)
    redis.call(command, key, unpack(ARGV, start, stop))
  end
end
if sets > 0 then apply('HSET', KEYS[2], i, sets, 2) end
i = i + 2 * sets
if dels > 0 then apply('HDEL', KEYS[2], i, dels, 1) end
i = i + dels
for j = i, #ARGV, 2 do
  if redis.call('HGET', KEYS[3], ARGV[j]) == ARGV[j + 1] then redis.call('HDEL', KEYS[3], ARGV[j]) end
end
return 1
