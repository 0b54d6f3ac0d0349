--[[
  Folds one event into an account's facts: ignores it if its id was seen in the last 24 h,
  refuses it if it would take the account over a size limit, else applies each register write
  (last writer wins by at, then tiebreak; mode 'min' keeps the earliest), remembers the id and
  registers the account.

  Facts are one record per conversation (src/facts/record.ts): registers joined by \30, each
  `name \31 stamp \31 payload`, stamp `at.tiebreak` in base 36 or empty for "the previous
  register's"; in field `type|target`, or as the entry \29 `type|target` \28 record of the pack,
  field `*`, which holds the account's first conversations. A register still in its legacy field
  (`type|target|a|name`, before 0.3) is moved into the record when an event writes it; the reader
  merges the rest.

  KEYS[1] seen:<eventId>      KEYS[2] facts:<account>     KEYS[3] folders:<account>
  KEYS[4] accounts (set)      KEYS[5] resync requests (hash account -> request number)
  KEYS[6] verified (sorted set by last read-back, ms: a new account joins at "now", since its
          first reconcile reads its groups back anyway)
  KEYS[7] pending:<account> (events published and not folded yet; counted down here)
  KEYS[8] counts:<account> (hash: c = live conversations, f = live user folders, n = facts
          fields this script created minus legacy ones it deleted: HLEN(facts) - n changes
          only when something else writes facts, which the incremental reconcile checks)
  KEYS[9] dirty:<account> (hash conversation -> change number: conversations whose facts
          changed since the reconcile that evaluated them last)
  ARGV[1] account  ARGV[2] seen TTL (s)  ARGV[3] at  ARGV[4] tiebreak  ARGV[5] resync (0|1)
  ARGV[6] most live conversations  ARGV[7] most live user folders
  ARGV[8] the stamp in base 36 (`at.tiebreak`)
  ARGV[9] most conversations in the pack  ARGV[10] most bytes of the pack (a new conversation
          joins the pack `*` below both, else gets a field of its own: src/facts/record.ts)
  ARGV[11..] per write: hash ('f' facts | 'd' folders), mode ('lww' | 'min'), field (facts: the
           register's legacy field name), payload, counter ('c' | 'f': the register says
           whether a conversation / folder is live; '-')

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
local RS, US = '\30', '\31'
local at = tonumber(ARGV[3])
local tb = tonumber(ARGV[4])
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
local function b36(n)
  if n == 0 then return '0' end
  local s = ''
  while n > 0 do
    local d = n % 36
    s = string.sub(DIGITS, d + 1, d + 1) .. s
    n = (n - d) / 36
  end
  return s
end
local function live(payload)
  return payload ~= nil and payload ~= '' and payload ~= '0'
end

-- A conversation record as a list of {name, at, tb, stamp, payload}; at nil = corrupt (loses).
local function decode(value, nameOf)
  local regs = {}
  if not value then return regs end
  local prevStamp, prevAt, prevTb = nil, nil, nil
  for part in string.gmatch(value .. RS, '([^' .. RS .. ']*)' .. RS) do
    local name, stamp, payload = string.match(part, '^([^' .. US .. ']*)' .. US .. '([^' .. US .. ']*)' .. US .. '(.*)$')
    local r = { name = name and nameOf and nameOf(name) or name or part, payload = payload or '' }
    if name and stamp == '' and prevAt then
      r.at, r.tb, r.stamp = prevAt, prevTb, prevStamp
    elseif name then
      local a, t = string.match(stamp, '^([0-9a-z]+)%.([0-9a-z]+)$')
      r.at, r.tb, r.stamp = tonumber(a or '', 36), tonumber(t or '', 36), stamp
    end
    if r.at == nil or r.tb == nil then r.at, r.tb, r.stamp, r.raw = nil, nil, nil, part end
    prevStamp, prevAt, prevTb = r.stamp, r.at, r.tb
    regs[#regs + 1] = r
  end
  return regs
end
local function encode(regs, nameOf)
  local out, prev = {}, nil
  for _, r in ipairs(regs) do
    if r.at == nil then
      out[#out + 1] = r.raw -- kept as it was: the reader skips it
      prev = nil
    else
      local shown = (r.stamp == prev) and '' or r.stamp
      out[#out + 1] = (nameOf and nameOf(r.name) or r.name) .. US .. shown .. US .. r.payload
      prev = r.stamp
    end
  end
  return table.concat(out, RS)
end
local function beats(mode, oat, otb)
  if oat == nil or otb == nil then return true end -- a corrupt register loses to any write
  if mode == 'min' then return at < oat end
  return at > oat or (at == oat and tb > otb)
end

-- The pack, read once if a conversation without a field of its own is written: its dictionary
-- of register names (names[i] is written as i - 1), then its entries.
local GS, FS = '\29', '\28'
local pack, names, nameIndex, packEntries, packChanged = nil, {}, {}, 0, false
local function loadPack()
  if pack ~= nil then return end
  local value = redis.call('HGET', KEYS[2], '*') or ''
  local head = string.find(value, GS, 1, true)
  local dictionary = head and string.sub(value, 1, head - 1) or value
  pack = head and string.sub(value, head) or ''
  if dictionary ~= '' then
    for name in string.gmatch(dictionary .. US, '([^' .. US .. ']*)' .. US) do
      names[#names + 1] = name
      nameIndex[name] = #names - 1
    end
  end
  packEntries = select(2, string.gsub(pack, GS, ''))
end
local function packFind(conv)
  local head = GS .. conv .. FS
  local s = string.find(pack, head, 1, true)
  if not s then return nil end
  local e = string.find(pack, GS, s + #head, true)
  return s, (e or #pack + 1) - 1, string.sub(pack, s + #head, (e or #pack + 1) - 1)
end
local function packPut(conv, value)
  local s, e = packFind(conv)
  local entry = GS .. conv .. FS .. value
  if s then
    pack = string.sub(pack, 1, s - 1) .. entry .. string.sub(pack, e + 1)
  else
    pack = pack .. entry
    packEntries = packEntries + 1
  end
  packChanged = true
end
-- A register's name in the pack and back.
local function packName(name)
  if name == 'p' or name == 'x' then return name end
  if nameIndex[name] == nil then
    names[#names + 1] = name
    nameIndex[name] = #names - 1
  end
  return tostring(nameIndex[name])
end
local function unpackName(name)
  if string.match(name, '^%d+$') then return names[tonumber(name) + 1] or name end
  return name
end

-- Facts writes grouped by conversation: each record is read, changed and written once, where
-- it is (its field or the pack); a new one joins the pack while the pack has room.
local records, order, legacyGone = {}, {}, {}
local function recordOf(conv)
  local rec = records[conv]
  if not rec then
    local value = redis.call('HGET', KEYS[2], conv)
    local inPack, packed = false, nil
    -- a target may hold any character but '|': one with the pack's separators gets a field of its own
    if not value and not string.find(conv, '[' .. GS .. FS .. ']') then
      loadPack()
      local _, _, found = packFind(conv)
      packed, value = found, found
      inPack = found ~= nil or (packEntries < tonumber(ARGV[9]) and #pack < tonumber(ARGV[10]))
    end
    rec = { regs = decode(value, packed and unpackName), changed = false, inPack = inPack }
    rec.index = {}
    for i, r in ipairs(rec.regs) do rec.index[r.name] = i end
    records[conv] = rec
    order[#order + 1] = conv
  end
  return rec
end

local winners = {}
local delta = { c = 0, f = 0 }
local stamp36 = ARGV[8]
for i = 11, #ARGV, 5 do
  local mode, field, payload, counter = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local wins, old
  if ARGV[i] == 'f' then
    local conv, rest = string.match(field, '^([123]|[^|]+)|(.+)$')
    local name = (#rest > 1) and (string.sub(rest, 1, 1) .. string.sub(rest, 3)) or rest
    local rec = recordOf(conv)
    if rec.index[name] == nil then
      local legacy = redis.call('HGET', KEYS[2], field)
      if legacy then
        local oat, otb, opayload = string.match(legacy, '^([^|]*)|([^|]*)|(.*)$')
        oat, otb = tonumber(oat or ''), tonumber(otb or '')
        if oat ~= nil and otb ~= nil then
          rec.regs[#rec.regs + 1] = { name = name, at = oat, tb = otb, stamp = b36(oat) .. '.' .. b36(otb), payload = opayload }
          rec.index[name] = #rec.regs
        end
        legacyGone[#legacyGone + 1] = field
        rec.changed = true
      end
    end
    local r = rec.index[name] and rec.regs[rec.index[name]]
    old = r and r.payload
    wins = (r == nil) or beats(mode, r.at, r.tb)
    if wins then
      winners[#winners + 1] = { rec = rec, name = name, payload = payload }
    end
  else
    local stored = redis.call('HGET', KEYS[3], field)
    wins = true
    if stored then
      local oat, otb, opayload = string.match(stored, '^([^|]*)|([^|]*)|(.*)$')
      old = opayload
      wins = beats(mode, tonumber(oat or ''), tonumber(otb or ''))
    end
    if wins then winners[#winners + 1] = { field = field, payload = payload } end
  end
  if wins and counter ~= '-' then
    local was, is = live(old), live(payload)
    if is and not was then delta[counter] = delta[counter] + 1 end
    if was and not is then delta[counter] = delta[counter] - 1 end
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
for _, w in ipairs(winners) do
  if w.rec then
    local i = w.rec.index[w.name]
    local r = { name = w.name, at = at, tb = tb, stamp = stamp36, payload = w.payload }
    if i then w.rec.regs[i] = r else
      w.rec.regs[#w.rec.regs + 1] = r
      w.rec.index[w.name] = #w.rec.regs
    end
    w.rec.changed = true
  else
    redis.call('HSET', KEYS[3], w.field, ARGV[3] .. '|' .. ARGV[4] .. '|' .. w.payload)
  end
end
local fields = 0
for _, conv in ipairs(order) do
  local rec = records[conv]
  if rec.changed then
    if rec.inPack then packPut(conv, encode(rec.regs, packName))
    else fields = fields + redis.call('HSET', KEYS[2], conv, encode(rec.regs)) end
    redis.call('HINCRBY', KEYS[9], conv, 1)
  end
end
if packChanged then fields = fields + redis.call('HSET', KEYS[2], '*', table.concat(names, US) .. pack) end
if #legacyGone > 0 then fields = fields - redis.call('HDEL', KEYS[2], unpack(legacyGone)) end
if fields ~= 0 then redis.call('HINCRBY', KEYS[8], 'n', fields) end
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
