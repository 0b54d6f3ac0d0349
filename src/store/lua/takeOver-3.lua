--[[
  Frees what a dead worker held for one account: its lease (the next reconcile takes the account
  at once) and its BullMQ job lock (the next stalled-job check moves the job back to wait). Only
  while the holder record is still the one read, and each key only while it is still the dead
  worker's: a record or lease written meanwhile by a live worker is left alone.
  KEYS[1] lease:<account>   KEYS[2] holders (hash)   KEYS[3] the job's lock key (KEYS[1] again
  when there is no job: every key of a script sits in one Cluster slot)
  ARGV[1] account   ARGV[2] holder record as read   ARGV[3] lease token   ARGV[4] job token
  Returns 1 taken over, 0 the record changed meanwhile.
]]
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[1]) == ARGV[3] then redis.call('DEL', KEYS[1]) end
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return 1
