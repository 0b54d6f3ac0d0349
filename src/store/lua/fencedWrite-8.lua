--[[
  Writes an account's ledger, rejections, retries and status only while the caller still holds
  the account's lease (a fencing token), so a worker that lost its lease (stalled, paused by GC)
  can never overwrite the progress of the worker that took over.

  KEYS[1] lease:<account>  KEYS[2] ledger:<account>  KEYS[3] rejections:<account>
  KEYS[4] retries:<account>  KEYS[5] status:<account>  KEYS[6] resync requests (hash)
  KEYS[7] verification requests (hash)   KEYS[8] parked accounts (hash)
  ARGV[1] lease token
  ARGV[2..] per op: key index (2..8), op, field, value
    op 's' HSET field value | 'd' HDEL field | 'x' DEL the key
       'c' HDEL field only while it still holds value (a request handled: one asked for
           meanwhile has another value and stays)

  Returns 1 written, 0 lease lost. An unknown op or key index is an error and writes nothing.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 4 do
  local index, op = tonumber(ARGV[i]), ARGV[i + 1]
  if index == nil or index < 2 or index > #KEYS then
    return redis.error_reply('fencedWrite: bad key index ' .. tostring(ARGV[i]))
  end
  if op ~= 's' and op ~= 'd' and op ~= 'x' and op ~= 'c' then
    return redis.error_reply('fencedWrite: unknown op ' .. tostring(op))
  end
end
for i = 2, #ARGV, 4 do
  local key, op, field, value = KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 's' then
    redis.call('HSET', key, field, value)
  elseif op == 'd' then
    redis.call('HDEL', key, field)
  elseif op == 'x' then
    redis.call('DEL', key)
  elseif redis.call('HGET', key, field) == value then
    redis.call('HDEL', key, field)
  end
end
return 1
