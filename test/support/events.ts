import type { DomainEvent } from '../../src/events/schema.js';

/** Event n of `account`: a pinned team conversation of its own, ids and times in order. */
export const pinned = (n: number, account = 'alice'): DomainEvent => ({
  id: `e-${n}`,
  type: 'conversation.pinned',
  account,
  at: 1763700000000 + n,
  conversation: { type: 2, target: `team-${n}` },
});
