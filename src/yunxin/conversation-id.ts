import { InvalidRequestError } from './errors.js';

/** 1 p2p (target = peer account), 2 advanced team, 3 super team (target = team id). */
export type ConversationType = 1 | 2 | 3;
export const CONVERSATION_TYPES: readonly ConversationType[] = [1, 2, 3];

export interface ConversationParts {
  owner: string;
  type: ConversationType;
  target: string;
}

/** Yunxin conversation id `owner|type|target` (provider-apis.md §A4). */
export type ConversationId = string & { readonly __brand: 'ConversationId' };

export function isConversationType(value: unknown): value is ConversationType {
  return value === 1 || value === 2 || value === 3;
}

function checkPart(field: string, value: string): void {
  if (value.length === 0) throw new InvalidRequestError(field, 'must not be empty');
  if (value.includes('|')) throw new InvalidRequestError(field, 'must not contain "|"');
}

export function formatConversationId(parts: ConversationParts, field = 'conversation'): ConversationId {
  checkPart(`${field}.owner`, parts.owner);
  checkPart(`${field}.target`, parts.target);
  if (!isConversationType(parts.type)) {
    throw new InvalidRequestError(`${field}.type`, `must be 1, 2 or 3 (got ${JSON.stringify(parts.type)})`);
  }
  return `${parts.owner}|${parts.type}|${parts.target}` as ConversationId;
}

export function parseConversationId(id: string, field = 'conversation_id'): ConversationParts {
  const parts = id.split('|');
  if (parts.length !== 3) {
    throw new InvalidRequestError(field, `"${truncate(id)}" is not owner|type|target`);
  }
  const [owner = '', typeText = '', target = ''] = parts;
  const type = Number(typeText);
  if (!/^[123]$/.test(typeText) || !isConversationType(type)) {
    throw new InvalidRequestError(field, `type "${truncate(typeText)}" must be 1, 2 or 3`);
  }
  checkPart(`${field}.owner`, owner);
  checkPart(`${field}.target`, target);
  return { owner, type, target };
}

/** Validates and brands an id that came from outside. */
export function conversationId(id: string, field?: string): ConversationId {
  parseConversationId(id, field);
  return id as ConversationId;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
