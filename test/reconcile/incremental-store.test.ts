/**
 * The incremental reconcile against a real Redis and the real fold: after each event-triggered
 * reconcile that took the incremental path, a forced full evaluation finds nothing to change
 * and the same overflow. And it falls back to a full evaluation where it must: the kept
 * evaluation corrupt, facts written by something other than the fold, new rules.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultValidation } from '../../src/events/validate.js';
import { createRedis } from '../../src/jobs/connection.js';
import { createLogger } from '../../src/log.js';
import { type ReconcileDeps, reconcileAccount } from '../../src/reconcile/reconcile.js';
import type { AppFolder } from '../../src/rules/schema.js';
import { AccountStore } from '../../src/store/account-store.js';
import { DEFAULT_PARTITIONS, keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { foldEvents } from '../../src/workers/fold-events.js';
import { FakeProvider } from '../support/fake-provider.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('incremental');
const keys = keysFor(prefix, DEFAULT_PARTITIONS);
let redis: Redis;
beforeAll(() => {
  redis = withScripts(createRedis(redisUrl(), 'worker', () => {}));
});
afterAll(async () => {
  await deleteKeys(redisUrl(), prefix);
  redis.disconnect();
});

const PROJECTS: AppFolder = {
  id: 'projects',
  name: 'Projects',
  rule: { attr: 'kind', eq: 'project' },
  deleteWhenEmpty: false,
};
const CUSTOMERS: AppFolder = {
  id: 'customers',
  name: 'Customers',
  rule: { attr: 'tags', has: 'customer' },
  deleteWhenEmpty: true,
};
const AT = 1_700_000_000_000;

function setup(account: string) {
  const store = new AccountStore(redis, keys);
  const provider = new FakeProvider();
  // a group holds 3: the newest candidates compete for it
  Object.assign(provider, { limits: { ...provider.limits, conversationsPerGroup: 3 } });
  let rules = { folders: [PROJECTS, CUSTOMERS], generation: 1 };
  const modes: string[] = [];
  let seq = 0;
  const deps = (evaluation: 'auto' | 'full'): ReconcileDeps => ({
    store,
    provider,
    gate: { succeeded: async () => {}, rateLimited: async () => 1 },
    rules: async () => rules,
    epoch: async () => 'epoch',
    now: () => AT + 10_000_000,
    random: () => 0.5,
    retry: { baseMs: 10, maxMs: 100 },
    log: createLogger({ level: 'silent', name: 'test' }),
    evaluation,
    keepEvaluationFrom: 0,
    onEvaluated: (_a, mode) => modes.push(mode),
  });
  const fold = (...events: Array<Record<string, unknown>>) =>
    foldEvents(
      redis,
      keys,
      events.map((e) => ({ id: `${account}-${++seq}`, account, at: AT + seq, ...e })),
      {
        validation: defaultValidation(AT + 1_000_000),
        accountLimits: { conversations: 1000, userFolders: 10 },
      },
    );
  const team = (n: number) => ({ type: 2, target: `t${n}` });
  return {
    store,
    provider,
    modes,
    fold,
    team,
    setRules: (folders: AppFolder[], generation: number) => {
      rules = { folders, generation };
    },
    reconcile: () => reconcileAccount(account, deps('auto')),
    /** a full evaluation of the same account: it must find nothing left to do */
    async expectFullAgrees(overflow: number) {
      const again = await reconcileAccount(account, deps('full'));
      expect(again.status === 'done' && again.calls).toBe(0);
      expect(again.status === 'done' && again.overflowCount).toBe(overflow);
    },
    groups: () => Object.fromEntries(provider.groups.map((g) => [g.name, [...g.members].sort()])),
  };
}

describe('the incremental reconcile', () => {
  it('updates only what changed, and a full evaluation agrees after each step', async () => {
    const t = setup('inc');
    for (let n = 0; n < 10; n++)
      await t.fold({
        type: 'conversation.upserted',
        conversation: t.team(n),
        attributes: { kind: n % 2 === 0 ? 'project' : 'chat' },
      });
    await t.fold({ type: 'conversation.tagged', conversation: t.team(1), tag: 'customer' });
    const first = await t.reconcile();
    expect(t.modes).toEqual(['full']); // first contact: read back, evaluate in full, keep it
    expect(t.groups()).toEqual({ Projects: ['2|t4', '2|t6', '2|t8'], Customers: ['2|t1'] });
    expect(first.status === 'done' && first.overflowCount).toBe(2);
    await t.expectFullAgrees(2);
    await t.reconcile(); // keeps the evaluation again (the forced full run dropped it)

    const steps: Array<Array<Record<string, unknown>>> = [
      // an old project becomes the newest: it takes a place in the group
      [{ type: 'conversation.muted', conversation: t.team(0) }],
      // a kept member leaves: the next best comes in
      [{ type: 'conversation.upserted', conversation: t.team(8), attributes: { kind: 'chat' } }],
      // removed, and a listed tag on a new conversation
      [
        { type: 'conversation.removed', conversation: t.team(6) },
        { type: 'conversation.tagged', conversation: t.team(42), tag: 'customer' },
      ],
      // the last customer leaves: the group goes (deleteWhenEmpty)
      [
        { type: 'conversation.untagged', conversation: t.team(1), tag: 'customer' },
        { type: 'conversation.untagged', conversation: t.team(42), tag: 'customer' },
      ],
    ];
    for (const events of steps) {
      await t.fold(...events);
      t.modes.length = 0;
      const out = await t.reconcile();
      expect(t.modes).toEqual(['incremental']);
      expect(out.status).toBe('done');
      await t.expectFullAgrees(out.status === 'done' ? out.overflowCount : -1);
      // the forced full run dropped the kept evaluation: the next one rebuilds it
      t.modes.length = 0;
      await t.reconcile();
      expect(t.modes).toEqual(['full']);
    }
    expect(t.groups()).toEqual({ Projects: ['2|t0', '2|t2', '2|t4'] });
    expect(await redis.exists(keys.dirty('inc'))).toBe(0);
  });

  it('keeps the mark of a conversation changed while its reconcile ran', async () => {
    const t = setup('race');
    for (let n = 0; n < 5; n++)
      await t.fold({
        type: 'conversation.upserted',
        conversation: t.team(n),
        attributes: { kind: 'project' },
      });
    await t.reconcile();
    await t.fold({ type: 'conversation.tagged', conversation: t.team(0), tag: 'customer' });
    let folded = false;
    t.provider.onRequest = async () => {
      if (folded) return;
      folded = true; // folded after the reconcile read the facts, before it finished
      await t.fold({ type: 'conversation.tagged', conversation: t.team(1), tag: 'customer' });
      await t.fold({ type: 'conversation.tagged', conversation: t.team(0), tag: 'vip' });
    };
    await t.reconcile();
    t.provider.onRequest = undefined;
    expect(Object.keys(await redis.hgetall(keys.dirty('race'))).sort()).toEqual(['2|t0', '2|t1']);
    t.modes.length = 0;
    await t.reconcile();
    expect(t.modes).toEqual(['incremental']);
    expect(t.groups().Customers).toEqual(['2|t0', '2|t1']);
    await t.expectFullAgrees(2);
  });

  it('evaluates in full when the kept evaluation cannot be trusted or the rules changed', async () => {
    const t = setup('fallback');
    for (let n = 0; n < 6; n++)
      await t.fold({
        type: 'conversation.upserted',
        conversation: t.team(n),
        attributes: { kind: 'project' },
      });
    await t.reconcile();
    const once = async (before: () => Promise<unknown>) => {
      await before();
      await t.fold({ type: 'conversation.pinned', conversation: t.team(0) });
      t.modes.length = 0;
      await t.reconcile();
      return t.modes[0];
    };
    expect(await once(async () => {})).toBe('incremental');
    expect(await once(() => redis.hset(keys.evaluation('fallback'), 'w0', '[not a window'))).toBe('full');
    expect(await once(async () => {})).toBe('incremental');
    // a legacy register written by an old worker: the fold's field count no longer adds up
    expect(await once(() => redis.hset(keys.facts('fallback'), '2|t9|p', `${AT}|1|1`))).toBe('full');
    expect(await once(async () => t.setRules([CUSTOMERS, PROJECTS], 2))).toBe('full');
    expect(await once(async () => {})).toBe('incremental');
    expect(t.groups().Projects).toEqual(['2|t0', '2|t4', '2|t5']);
    // the legacy field was moved into its record by the full evaluation that found it
    expect(await redis.hexists(keys.facts('fallback'), '2|t9|p')).toBe(0);
    expect(await redis.hexists(keys.facts('fallback'), '2|t9')).toBe(1);
  });
});
