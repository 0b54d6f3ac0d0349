/**
 * What a careless producer or anything else that writes to Redis can put in front of a worker:
 * invalid events in a job, accounts past their limits, data that makes every reconcile fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLimits, keysOf } from '../../src/config.js';
import { publishMany } from '../../src/jobs/publish.js';
import { JOB_NAMES } from '../../src/jobs/queues.js';
import { enqueueReconcile } from '../../src/jobs/reconcile-jobs.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';

let e: Engine | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

describe('events jobs from anywhere', () => {
  it('are validated again when folded: invalid events are skipped and counted, the rest lands', async () => {
    const folded: Array<{ invalid: number }> = [];
    e = await startEngine({ observer: { eventsFolded: (r) => folded.push(r) } });
    const engine = e;
    // what the dashboard's "add job" or a direct Redis write can carry
    await engine.events.of('poison').add(JOB_NAMES.events, {
      events: [
        ev('conversation.tagged', 'poison', { conversation: { type: 9, target: 'x' }, tag: 'customer' }),
        ev('conversation.upserted', 'poison', { ...team('t'), attributes: { tags: 'customer' } }),
        ev('conversation.upserted', 'poison', { ...team('n'), attributes: { deep: { nested: true } } }),
        ev('conversation.tagged', 'sur-\ud800', { ...team('c'), tag: 'customer' }),
        ev('conversation.tagged', 'poison', { ...team('c1'), tag: 'customer' }),
      ],
    });
    await engine.eventually(() => expect(engine.groups('poison')).toEqual({ Customers: ['2|c1'] }));
    expect(folded.reduce((n, r) => n + r.invalid, 0)).toBe(4);
    expect(engine.logs()).toContain('skipped invalid events in an events job');
  });
});

describe('account limits', () => {
  it('refuse at publishing, with the reason, what would take an account over them', async () => {
    e = await startEngine({ env: { ACCOUNT_MAX_CONVERSATIONS: '2', ACCOUNT_MAX_USER_FOLDERS: '1' } });
    const engine = e;
    const limits = accountLimits(engine.config);
    const tag = (target: string) => ev('conversation.tagged', 'full', { ...team(target), tag: 'customer' });
    expect((await publishMany(engine.events, [tag('a'), tag('b')], { accountLimits: limits })).accepted).toBe(
      2,
    );
    await engine.eventually(() => expect(engine.groups('full')).toEqual({ Customers: ['2|a', '2|b'] }));
    const res = await publishMany(
      engine.events,
      [
        tag('a'), // known: fine
        tag('c'), // a third conversation
        ev('folder.upserted', 'full', { folder: { id: 'f1', name: 'One', include: [] } }),
        ev('folder.upserted', 'full', { folder: { id: 'f2', name: 'Two', include: [] } }),
      ],
      { accountLimits: limits },
    );
    expect(res.accepted).toBe(2);
    expect(res.refused).toEqual([
      {
        index: 1,
        id: expect.any(String),
        errors: ['account: full has 2 live conversations; at most 2 are allowed (ACCOUNT_MAX_CONVERSATIONS)'],
      },
      {
        index: 3,
        id: expect.any(String),
        errors: ['account: full has 1 live user folders; at most 1 are allowed (ACCOUNT_MAX_USER_FOLDERS)'],
      },
    ]);
  });

  it('are enforced exactly when folded, whoever wrote the job; a removal always goes through', async () => {
    e = await startEngine({ env: { ACCOUNT_MAX_CONVERSATIONS: '2' } });
    const engine = e;
    const tag = (target: string) => ev('conversation.tagged', 'fold', { ...team(target), tag: 'customer' });
    await engine.events.of('fold').add(JOB_NAMES.events, { events: [tag('a'), tag('b'), tag('c')] });
    await engine.eventually(() => expect(engine.groups('fold')).toEqual({ Customers: ['2|a', '2|b'] }));
    expect(engine.logs()).toContain('refused events that would take their account over');
    await engine.events.of('fold').add(JOB_NAMES.events, {
      events: [ev('conversation.removed', 'fold', team('a')), tag('c')],
    });
    await engine.eventually(() => expect(engine.groups('fold')).toEqual({ Customers: ['2|b', '2|c'] }));
  });
});

describe('an account whose reconcile keeps failing for a reason no retry fixes', () => {
  it('is parked after 5 attempts with its reason, and its next success clears that', async () => {
    let parked = 0;
    e = await startEngine({ observer: { accountParked: () => parked++ } });
    const engine = e;
    const keys = keysOf(engine.config);
    await engine.redis.set(keys.ledger('stuck'), 'not a hash'); // every load fails: WRONGTYPE
    await enqueueReconcile(engine.reconcile, ['stuck'], 0, 'retry');
    await engine.eventually(async () =>
      expect(await engine.redis.hexists(keys.partOf('stuck').parked, 'stuck')).toBe(1),
    );
    const record = JSON.parse((await engine.redis.hget(keys.partOf('stuck').parked, 'stuck'))!);
    expect(record).toMatchObject({ attempts: 5, reason: expect.stringContaining('WRONGTYPE') });
    expect(parked).toBe(1);
    const [job] = await engine.reconcile.of('stuck').getJobs(['failed']);
    expect(job?.attemptsMade).toBe(5);

    await engine.redis.del(keys.ledger('stuck'));
    await engine.publish([ev('conversation.tagged', 'stuck', { ...team('c'), tag: 'customer' })]);
    await engine.eventually(() => expect(engine.groups('stuck')).toEqual({ Customers: ['2|c'] }));
    await engine.eventually(async () =>
      expect(await engine.redis.hexists(keys.partOf('stuck').parked, 'stuck')).toBe(0),
    );
  });
});
