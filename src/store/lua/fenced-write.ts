/**
 * Writes an account's ledger, rejections, retries and status only while the caller still
 * holds the account's lease (a fencing token), so a worker that lost its lease (stalled,
 * paused by GC) can never overwrite the progress of the worker that took over.
 * Returns 1 written, 0 lease lost.
 *
 * KEYS: lease, ledger, rejections, retries, status
 * ARGV: token, then per op: keyIndex (2..5), op ('s' HSET | 'd' HDEL | 'x' DEL key), field, value
 */
export const fencedWrite = {
  name: 'fsFencedWrite',
  numberOfKeys: 5,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 4 do
  local key = KEYS[tonumber(ARGV[i])]
  local op = ARGV[i + 1]
  if op == 's' then
    redis.call('HSET', key, ARGV[i + 2], ARGV[i + 3])
  elseif op == 'd' then
    redis.call('HDEL', key, ARGV[i + 2])
  else
    redis.call('DEL', key)
  end
end
return 1
`,
} as const;

/** KEYS: lease; ARGV: token, ttlMs. Extends the lease if still ours: 1, else 0. */
export const renewLease = {
  name: 'fsRenewLease',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`,
} as const;

/** KEYS: lease; ARGV: token. Deletes the lease if still ours. */
export const releaseLease = {
  name: 'fsReleaseLease',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
} as const;
