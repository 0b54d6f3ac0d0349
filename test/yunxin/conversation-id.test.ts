import { describe, expect, it } from 'vitest';
import { formatConversationId, parseConversationId } from '../../src/yunxin/conversation-id.js';
import { fillPath } from '../../src/yunxin/endpoints.js';
import { InvalidRequestError } from '../../src/yunxin/errors.js';

describe('conversation ids', () => {
  it('formats and parses owner|type|target', () => {
    expect(formatConversationId({ owner: 'alice', type: 2, target: 'team-42' })).toBe('alice|2|team-42');
    expect(parseConversationId('alice|1|bob')).toEqual({ owner: 'alice', type: 1, target: 'bob' });
    expect(parseConversationId('a|3|t')).toEqual({ owner: 'a', type: 3, target: 't' });
  });

  it.each([
    ['', 'is not owner|type|target'],
    ['alice|2', 'is not owner|type|target'],
    ['alice|2|x|y', 'is not owner|type|target'],
    ['|2|team', 'owner: must not be empty'],
    ['alice|2|', 'target: must not be empty'],
    ['alice|4|team', 'type "4" must be 1, 2 or 3'],
    ['alice|02|team', 'type "02" must be 1, 2 or 3'],
    ['alice|x|team', 'type "x" must be 1, 2 or 3'],
  ])('refuses %j', (id, reason) => {
    expect(() => parseConversationId(id)).toThrow(InvalidRequestError);
    expect(() => parseConversationId(id)).toThrow(reason);
  });

  it('refuses a | inside a part and an unknown type when formatting', () => {
    expect(() => formatConversationId({ owner: 'a|b', type: 1, target: 'c' })).toThrow('conversation.owner');
    expect(() => formatConversationId({ owner: 'a', type: 1, target: 'c|d' })).toThrow('conversation.target');
    expect(() => formatConversationId({ owner: 'a', type: 7 as 1, target: 'c' })).toThrow(
      'conversation.type',
    );
  });

  it('URL-encodes ids in paths', () => {
    expect(fillPath('conversation.get', { conversation_id: 'alice|2|team 42/x' })).toBe(
      '/im/v2.1/conversations/alice%7C2%7Cteam%2042%2Fx',
    );
  });
});
