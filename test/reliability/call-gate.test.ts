import type { Redis } from 'ioredis';
/**
 * The shared rate limit under a stalled process (the SIGKILL scenario found it: with worker
 * processes starting on two cores, a process woke up well after its reserved slot and its call
 * went out next to other processes' on-time calls, up to 66 calls in one second at a limit of
 * 60). A process that wakes more than `lateMs` after its slot must take a new slot instead of
 * calling late — at most a few times in a row, so a process that is always late still calls.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRedis } from '../../src/jobs/connection.js';
import { CallGate } from '../../src/store/call-gate.js';
import { keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis | undefined;
let prefix = '';
afterEach(async () => {
  redis?.disconnect();
  redis = undefined;
  await deleteKeys(redisUrl(), prefix);
});

function gate(opts: { now?: () => number } = {}) {
  redis = withScripts(createRedis(redisUrl(), 'worker', () => {}));
  prefix = uniquePrefix('gate');
  const reservations = vi.spyOn(redis, 'fsAcquireCall');
  // 10 calls/s: slots 105 ms apart
  const g = new CallGate(redis, keysFor(prefix, 1), {
    perSecond: 10,
    pauseBaseMs: 50,
    pauseMaxMs: 500,
    ...opts,
  });
  return { g, reservations };
}

/** Holds the event loop, as a starved or busy process does. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('the call gate when a process wakes up late', () => {
  it('on time: one slot per call', async () => {
    const { g, reservations } = gate();
    await g.acquire();
    await g.acquire();
    expect(reservations).toHaveBeenCalledTimes(2);
  });

  it('woken 200 ms after its slot: the slot is given up and a new one taken', async () => {
    const { g, reservations } = gate();
    await g.acquire(); // slot now; the next one is 105 ms away
    const second = g.acquire();
    block(300); // the timer for the second slot fires ~200 ms late
    await second;
    expect(reservations).toHaveBeenCalledTimes(3);
  });

  it('a process that is always late still gets to call, after a few new slots', async () => {
    let skew = 0;
    // every reading of the clock is a second later than the one before: always late
    const { g, reservations } = gate({
      now: () => {
        skew += 1000;
        return performance.now() + skew;
      },
    });
    await g.acquire();
    expect(reservations.mock.calls.length).toBeGreaterThan(1);
    expect(reservations.mock.calls.length).toBeLessThanOrEqual(6);
  });
});
