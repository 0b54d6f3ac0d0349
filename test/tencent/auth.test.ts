import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import { TencentClient } from '../../src/tencent/client.js';
import { genUserSig } from '../../src/tencent/usersig.js';
import { fetchJson, rejectionOf, type TencentHarness, tencentWithClient } from '../support/simulator.js';

let h: TencentHarness;
beforeAll(async () => {
  h = await tencentWithClient({
    apps: [TENCENT_DEMO_APP, { sdkappid: 1400000001, secretKey: 'other', admin: 'boss' }],
  });
});
afterAll(() => h.close());

const app = TENCENT_DEMO_APP;
const sig = (over: Partial<Parameters<typeof genUserSig>[0]> = {}) =>
  genUserSig({
    sdkappid: app.sdkappid,
    key: app.secretKey,
    identifier: app.admin,
    expireSeconds: 86_400,
    nowMs: Date.now(),
    ...over,
  });
const post = (query: Record<string, string>, init: RequestInit = {}) =>
  fetchJson(h.url('get_contact_group', query), { method: 'POST', body: '{"From_Account":"a"}', ...init });

describe('the simulator checks the REST URL parameters as Tencent does', () => {
  it.each([
    ['a UserSig signed with another key', { usersig: sig({ key: 'wrong' }) }, 70009],
    ['an expired UserSig', { usersig: sig({ nowMs: Date.now() - 2 * 86_400_000 }) }, 70001],
    ['a UserSig that is not one', { usersig: 'garbage' }, 70003],
    ['no UserSig', { usersig: '' }, 70003],
    ['a UserSig of another identifier', { usersig: sig({ identifier: 'someone' }) }, 70013],
    ['a UserSig of another SDKAppID', { usersig: sig({ sdkappid: 1400000001 }) }, 70014],
    ['an unknown SDKAppID', { sdkappid: '999' }, 60006],
    ['no SDKAppID', { sdkappid: '' }, 60012],
    ['a random that is no uint32', { random: '4294967296' }, 60025],
    ['contenttype other than json', { contenttype: 'xml' }, 60025],
    [
      'a valid UserSig of a user who is not the admin',
      { identifier: 'user1', usersig: sig({ identifier: 'user1' }) },
      60010,
    ],
  ])('%s → %s', async (_, query, code) => {
    const res = await post(query);
    expect(res).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
  });

  it('every error is HTTP 200 with ErrorCode: a GET, an unknown command, an empty or broken body', async () => {
    const get = await fetch(h.url('get_contact_group'));
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ ErrorCode: 60009 });
    expect(await fetchJson(h.url('no_such_command'), { method: 'POST', body: '{}' })).toMatchObject({
      ErrorCode: 60009,
    });
    expect(await post({}, { body: '' })).toMatchObject({ ErrorCode: 60003 });
    expect(await post({}, { body: '{nope' })).toMatchObject({ ErrorCode: 60003 });
    expect(await post({}, { body: '{}' })).toMatchObject({ ErrorCode: 50002 });
  });

  it('a client with the wrong key gets a permanent 70009; the right one succeeds', async () => {
    const wrong = new TencentClient({
      sdkappid: app.sdkappid,
      identifier: app.admin,
      secretKey: 'x',
      endpoints: [h.sim.url],
    });
    try {
      expect(await rejectionOf(wrong.listAll('a'))).toMatchObject({ code: 70009, kind: 'permanent' });
    } finally {
      await wrong.close();
    }
    expect(await h.client.listAll('a')).toEqual({ groups: [], contacts: [] });
  });
});
