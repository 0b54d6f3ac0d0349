--[[
  Folds one event into an account's facts: ignores it if its id was seen in the last 24 h,
  refuses it if it would take the account over a size limit, else applies each register write
  (last writer wins by at, then tiebreak; mode 'min' keeps the earliest), remembers the id and
  registers the account.

  KEYS[1] seen:<eventId>      KEYS[2] facts:<account>     KEYS[3] folders:<account>
  KEYS[4] accounts (set)      KEYS[5] resync requests (hash account -> request number)
  KEYS[6] verified (sorted set by last read-back, ms: a new account joins at "now", since its
          first reconcile reads its groups back anyway)
  KEYS[7] pending:<account> (events published and not folded yet; counted down here)
  KEYS[8] counts:<account> (hash: c = live conversations, f = live user folders)
  ARGV[1] account  ARGV[2] seen TTL (s)  ARGV[3] at  ARGV[4] tiebreak  ARGV[5] resync (0|1)
  ARGV[6] most live conversations  ARGV[7] most live user folders
  ARGV[8..] per write: hash ('f' facts | 'd' folders), mode ('lww' | 'min'), field, payload,
           counter ('c' | 'f': the register says whether a conversation / folder is live; '-')

  Returns 0 duplicate, 1 changed something, 2 stale (every write older than the facts),
  3 refused (the account would go over a limit; nothing written, the id not marked seen).
]]
-- Reads come first and the id is marked seen last: a script that fails halfway (a key of the
-- wrong type) keeps what it wrote, so a retried event must not find itself already seen.
local function countDown() -- the publisher counted the event up, a duplicate too
  if redis.call('DECR', KEYS[7]) <= 0 then redis.call('DEL', KEYS[7]) end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  countDown()
  return 0
end
local at = tonumber(ARGV[3])
local tb = tonumber(ARGV[4])
local function payloadOf(register)
  return register and string.match(register, '^[^|]*|[^|]*|(.*)$') or nil
end
local function live(payload)
  return payload ~= nil and payload ~= '' and payload ~= '0'
end
local winners = {}
local delta = { c = 0, f = 0 }
for i = 8, #ARGV, 5 do
  local key = (ARGV[i] == 'f') and KEYS[2] or KEYS[3]
  local mode, field, counter = ARGV[i + 1], ARGV[i + 2], ARGV[i + 4]
  local old = redis.call('HGET', key, field)
  local wins = true
  if old then
    local oat, otb = string.match(old, '^([^|]*)|([^|]*)|')
    oat, otb = tonumber(oat), tonumber(otb)
    if oat == nil or otb == nil then
      wins = true -- a corrupt register loses to any well-formed write
    elseif mode == 'min' then
      wins = at < oat
    else
      wins = at > oat or (at == oat and tb > otb)
    end
  end
  if wins then
    winners[#winners + 1] = i
    if counter ~= '-' then
      local was, is = live(payloadOf(old)), live(ARGV[i + 3])
      if is and not was then delta[counter] = delta[counter] + 1 end
      if was and not is then delta[counter] = delta[counter] - 1 end
    end
  end
end
local counts = redis.call('HMGET', KEYS[8], 'c', 'f')
local limits = { c = tonumber(ARGV[6]), f = tonumber(ARGV[7]) }
for index, name in ipairs({ 'c', 'f' }) do
  if delta[name] > 0 and (tonumber(counts[index]) or 0) + delta[name] > limits[name] then
    countDown()
    return 3
  end
end
for _, i in ipairs(winners) do
  local key = (ARGV[i] == 'f') and KEYS[2] or KEYS[3]
  redis.call('HSET', key, ARGV[i + 2], ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[i + 3])
end
for _, name in ipairs({ 'c', 'f' }) do
  if delta[name] ~= 0 then redis.call('HINCRBY', KEYS[8], name, delta[name]) end
end
local changed = #winners > 0
if redis.call('SADD', KEYS[4], ARGV[1]) == 1 then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[6], 'NX', t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
end
if ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[5], ARGV[1], 1)
  changed = true
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])
countDown()
if changed then return 1 end
return 2
