import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  conversationInfoSchema,
  createGroupRequestSchema,
  envelopeSchema,
  groupChangeDataSchema,
  updateConversationRequestSchema,
} from '../../src/yunxin/schemas.js';

const dir = join(import.meta.dirname, '../fixtures/seed-examples');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));

describe('seed document examples parse with the wire schemas', () => {
  it('create conversation group: request and response', () => {
    const req = createGroupRequestSchema.parse(fixture('yunxin-create-group.request.json'));
    expect(req.conversation_ids).toHaveLength(3);
    const envelope = envelopeSchema.parse(fixture('yunxin-create-group.response.json'));
    expect(envelope.code).toBe(200);
    const data = groupChangeDataSchema.parse(envelope.data);
    expect(data.group).toMatchObject({
      groupId: '1',
      name: 'name',
      serverExtension: 'extension',
      createTime: 1,
    });
    expect(data.succeeded).toEqual([
      'account_id1|1|account_id2',
      'account_id1|2|team_id',
      'account_id1|3|team_id',
    ]);
    expect(data.failed).toEqual([
      { conversationId: 'account_id1|1|account_id2', code: 102404, msg: 'error', kind: 'permanent' },
    ]);
  });

  it('update conversation: request and (Apifox mock) response with extra fields tolerated', () => {
    expect(updateConversationRequestSchema.parse(fixture('yunxin-update-conversation.request.json'))).toEqual(
      {
        server_extension: 'string',
      },
    );
    const envelope = envelopeSchema.parse(fixture('yunxin-update-conversation.response.json'));
    const conv = conversationInfoSchema.parse(envelope.data);
    expect(conv).toMatchObject({
      conversationId: 'string',
      groupIds: ['0'],
      stickTop: true,
      serverExtension: 'string',
    });
  });

  const seeds = join(import.meta.dirname, '../../../shared/seeds');
  it.runIf(existsSync(seeds))('fixtures still match the seed documents', () => {
    const create = readFileSync(join(seeds, '000_d88ef2a6b0a0c3b2.txt'), 'utf8').replace(/\s+/g, '');
    for (const name of ['yunxin-create-group.request.json', 'yunxin-create-group.response.json']) {
      expect(create).toContain(JSON.stringify(fixture(name)));
    }
  });
});
