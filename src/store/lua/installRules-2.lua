--[[
  Installs rules as the fleet's, if the fleet's generation is still the one the caller decided
  on (compare-and-set: of processes racing with different rules, the decision of each is taken
  against what it read). Clears a held change, which this install answers.

  KEYS[1] rules (hash: version, hash, body, generation, installedAt, walked)
  KEYS[2] held rules (hash)
  ARGV[1] expected generation ('' when the caller found none)   ARGV[2] version
  ARGV[3] content hash   ARGV[4] body (canonical JSON)   ARGV[5] now (ms)

  Returns the new generation, or 0 when the generation changed since the caller read it.
]]
local current = redis.call('HGET', KEYS[1], 'generation')
if (current or '') ~= ARGV[1] then return 0 end
local generation = tonumber(current or '0') + 1
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'hash', ARGV[3], 'body', ARGV[4],
  'generation', generation, 'installedAt', ARGV[5])
redis.call('DEL', KEYS[2])
return generation
