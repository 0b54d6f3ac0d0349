/**
 * Folds one event into an account's facts atomically: ignore it if its id was seen in the
 * last 24 h, else apply each register write (last writer wins by at, then tiebreak), remember
 * the id, and register the account. Returns 0 duplicate, 1 changed something, 2 stale.
 *
 * KEYS: seen, facts, folders, accounts, resync
 * ARGV: account, seenTtlSeconds, at, tiebreak, resync(0|1), then per write: hash(f|d), mode, field, payload
 */
export const applyEvent = {
  name: 'fsApplyEvent',
  numberOfKeys: 5,
  lua: `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
local at = tonumber(ARGV[3])
local tb = tonumber(ARGV[4])
local changed = 0
for i = 6, #ARGV, 4 do
  local key = (ARGV[i] == 'f') and KEYS[2] or KEYS[3]
  local mode, field, payload = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local old = redis.call('HGET', key, field)
  local wins = true
  if old then
    local oat, otb = string.match(old, '^([^|]*)|([^|]*)|')
    oat, otb = tonumber(oat), tonumber(otb)
    if mode == 'min' then
      wins = at < oat
    else
      wins = at > oat or (at == oat and tb > otb)
    end
  end
  if wins then
    redis.call('HSET', key, field, ARGV[3] .. '|' .. ARGV[4] .. '|' .. payload)
    changed = 1
  end
end
redis.call('SADD', KEYS[4], ARGV[1])
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[5], ARGV[1])
  changed = 1
end
if changed == 1 then return 1 end
return 2
`,
} as const;
