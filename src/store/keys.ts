/**
 * Every Redis key this product writes besides BullMQ's own, in one place. The prefix is
 * QUEUE_PREFIX (default "{folder-sync}"): its {hash tag} keeps all keys in one Redis Cluster
 * slot, so the multi-key Lua scripts work there too.
 */
export function keysFor(prefix: string) {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    seen: (eventId: string) => k('seen', eventId),
    facts: (account: string) => k('facts', account),
    folders: (account: string) => k('folders', account),
    ledger: (account: string) => k('ledger', account),
    rejections: (account: string) => k('rejections', account),
    retries: (account: string) => k('retries', account),
    status: (account: string) => k('status', account),
    lease: (account: string) => k('lease', account),
    /** every account ever seen (rules changes and resync --all walk it) */
    accounts: k('accounts'),
    /** accounts whose next reconcile reads the remote groups first */
    resync: k('resync'),
    callSlot: k('calls', 'next-slot'),
    callPause: k('calls', 'pause'),
    callPauseStreak: k('calls', 'pause-streak'),
    rulesHash: k('rules-hash'),
  };
}
export type Keys = ReturnType<typeof keysFor>;
