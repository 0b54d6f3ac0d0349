import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactKey } from '../../src/tencent/contact.js';
import { expectRefusedLocally, type TencentHarness, tencentWithClient } from '../support/simulator.js';

let h: TencentHarness;
beforeAll(async () => {
  h = await tencentWithClient();
});
afterAll(() => h.close());

const users = (n: number) => Array.from({ length: n }, (_, i) => `1|u${i}`) as ContactKey[];

describe('bad input is refused locally, with no request sent', () => {
  it.each([
    [
      '101 conversations on create',
      () => h.client.createGroup({ account: 'a', name: 'g', contacts: users(101) }),
      'at most 100',
    ],
    [
      '101 adds and removes together',
      () => h.client.changeMembers({ account: 'a', name: 'g', add: users(60), remove: users(101).slice(60) }),
      'add/remove: at most 100 conversations per call (got 101)',
    ],
    ['nothing to change', () => h.client.changeMembers({ account: 'a', name: 'g' }), 'nothing to change'],
    [
      'a conversation both added and removed',
      () => h.client.changeMembers({ account: 'a', name: 'g', add: users(1), remove: users(1) }),
      'both added and removed',
    ],
    [
      'a name over 32 bytes',
      () => h.client.createGroup({ account: 'a', name: '项目'.repeat(6) }),
      'at most 32 UTF-8 bytes (got 36)',
    ],
    [
      'an empty name',
      () => h.client.renameGroup({ account: 'a', name: 'g', newName: ' ' }),
      'newName: must not be empty',
    ],
    [
      'a malformed contact',
      () => h.client.createGroup({ account: 'a', name: 'g', contacts: ['3|x' as ContactKey] }),
      'contacts[0]',
    ],
    ['an empty account', () => h.client.listAll(''), 'account: must not be empty'],
    [
      '301 conversations to search',
      () => h.client.search({ account: 'a', contacts: users(301) }),
      'at most 300',
    ],
  ])('%s', async (_, call, message) => {
    await expectRefusedLocally(h.sim, call, message);
  });

  it('exactly 100 is fine, and repeated conversations are sent once', async () => {
    const res = await h.client.createGroup({
      account: 'a',
      name: 'g',
      contacts: [...users(100), '1|u0' as ContactKey],
    });
    expect(res.succeeded).toHaveLength(100);
    expect(h.sim.calls.snapshot().maxIdsInCall).toBe(100);
  });
});
