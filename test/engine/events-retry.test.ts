/**
 * An events job that fails on a Redis error (here: a key of the wrong type, as a stand-in for
 * an OOM or a failover) is retried with backoff, loses none of its events, and when its last
 * attempt fails it stays in the failed list and is counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { validateEvent } from '../../src/events/validate.js';
import { JOB_NAMES } from '../../src/jobs/queues.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';

let e: Engine | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

describe('events jobs', () => {
  it('are retried with backoff after a Redis error, and no event of the batch is lost', async () => {
    e = await startEngine();
    const engine = e;
    const facts = keysOf(engine.config).facts('broken');
    await engine.redis.set(facts, 'not a hash'); // every fold of this account fails: WRONGTYPE
    await engine.publish([
      ev('conversation.tagged', 'broken', { ...team('c1'), tag: 'customer' }),
      ev('conversation.tagged', 'fine', { ...team('c2'), tag: 'customer' }),
    ]);
    await engine.eventually(async () => {
      const [job] = await engine.events.of('broken').getJobs(['delayed', 'waiting', 'active', 'failed']);
      expect(job?.opts).toMatchObject({ attempts: 25, removeOnFail: false });
      expect(job?.attemptsMade).toBeGreaterThanOrEqual(2);
    });
    await engine.redis.del(facts); // Redis recovers
    await engine.eventually(() => {
      expect(engine.groups('broken')).toEqual({ Customers: ['2|c1'] });
      expect(engine.groups('fine')).toEqual({ Customers: ['2|c2'] });
    });
  });

  it('that fail their last attempt stay in the failed list and are counted', async () => {
    let failed = 0;
    e = await startEngine({ observer: { eventsJobFailed: () => failed++ } });
    const engine = e;
    await engine.redis.set(keysOf(engine.config).facts('stuck'), 'not a hash');
    const event = validateEvent(ev('conversation.tagged', 'stuck', { ...team('c1'), tag: 'customer' }));
    if (!event.ok) throw new Error('invalid test event');
    await engine.events
      .of('stuck')
      .add(JOB_NAMES.events, { events: [event.event] }, { attempts: 2, removeOnFail: false });
    await engine.eventually(async () => expect(await engine.events.of('stuck').getFailedCount()).toBe(1));
    expect(failed).toBe(1);
  });
});
