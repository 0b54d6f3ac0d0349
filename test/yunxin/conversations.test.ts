/** Conversations must exist to be grouped (provider-apis.md §A5.7): the simulator's default. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulators/yunxin/server.js';
import { type SimulatorHarness, simulatorWithClient } from '../support/simulator.js';

let h: SimulatorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('conversations that do not exist yet', () => {
  it('are refused per item with 110404 by default, and can be created first', async () => {
    h = await simulatorWithClient({ strictConversations: undefined });
    const { client, sim } = h;
    const first = await client.createGroup({
      accountId: 'a',
      name: 'g',
      conversationIds: ['a|2|new', 'a|1|b'],
    });
    expect(first.failed.map((f) => [f.conversationId, f.code, f.kind])).toEqual([
      ['a|2|new', 110404, 'permanent'],
      ['a|1|b', 110404, 'permanent'],
    ]);
    await client.createConversation('a|2|new');
    await client.createConversation('a|2|new'); // again: still a success (undocumented; a choice)
    const again = await client.updateGroup({
      accountId: 'a',
      groupId: first.group.groupId,
      membership: { op: 'add', conversationIds: ['a|2|new'] },
    });
    expect(again.succeeded).toEqual(['a|2|new']);
    expect([...sim.state.createdByApi]).toEqual(['a|2|new']);
  });

  it('the simulator defaults follow the documented behaviour', async () => {
    const sim = await startSimulator({ port: 0 });
    try {
      expect(sim.state['opts'].strictConversations).toBe(true);
      // the undocumented group-conversations endpoint is not served unless asked for
      const res = await fetch(`${sim.url}/im/v2/conversation_groups/1/conversations?account_id=a`);
      expect(res.status).toBe(404);
      await res.body?.cancel();
    } finally {
      await sim.close();
    }
  });
});
