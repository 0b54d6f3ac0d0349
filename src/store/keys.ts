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
    /** live conversations (c) and user folders (f) of the account, for their limits */
    counts: (account: string) => k('counts', account),
    /** conversation → change number: facts the fold changed since a reconcile evaluated them */
    dirty: (account: string) => k('dirty', account),
    /** what the last evaluation of a big account found (folder windows): see src/plan/incremental.ts */
    evaluation: (account: string) => k('eval', account),
    /** events of the account published and not folded yet (a reconcile waits for them) */
    pendingEvents: (account: string) => k('pending', account),
    /** a copy of a ledger that did not decode, kept a week for a post-mortem */
    quarantine: (account: string) => k('quarantine', account),
    /** every account ever seen (rules changes and resync --all walk it) */
    accounts: k('accounts'),
    /** account → number of its newest resync request; cleared only by the read-back that served it */
    resyncRequests: k('resync-requests'),
    /** account → why its reconcile was given up ({reason, at, attempts}); cleared by its next success */
    parked: k('parked'),
    /** account → when verification claimed it: its next reconcile reads back, on verification's budget */
    verifyRequests: k('verify-requests'),
    /** before 0.2: a set of accounts to resync (moved into resyncRequests at start) */
    legacyResync: k('resync'),
    /** account → when its groups were last read back (score, ms): verification walks it oldest first */
    verified: k('verified'),
    callSlot: k('calls', 'next-slot'),
    callPause: k('calls', 'pause'),
    callPauseStreak: k('calls', 'pause-streak'),
    /** the verification budget's own slot (a share of the provider rate) */
    verifySlot: k('calls', 'verify-next-slot'),
    /** the deployment sentinel: its epoch changes when Redis is found to have lost data */
    deployment: k('deployment'),
    /** the fleet's rules: version, hash, generation, body (one place for the whole fleet) */
    rules: k('rules'),
    /** a rules change held by the deletion guard until an operator confirms it */
    rulesHeld: k('rules', 'held'),
  };
}
export type Keys = ReturnType<typeof keysFor>;
