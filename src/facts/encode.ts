import { type DomainEvent, FLAG_EVENTS } from '../events/schema.js';
import { conversationKey } from '../rules/evaluate.js';
import type { RegisterWrite } from './registers.js';

/** The register writes an event makes (see registers.ts for the layout). Pure. */
export function eventWrites(event: DomainEvent): RegisterWrite[] {
  const fact = (field: string, payload: string): RegisterWrite => ({
    hash: 'facts',
    field,
    mode: 'lww',
    payload,
  });
  const presence = (conv: string, present: boolean): RegisterWrite => ({
    ...fact(`${conv}|p`, present ? '1' : '0'),
    counts: 'conversations',
  });
  if (event.type === 'folder.upserted') {
    return [
      {
        hash: 'folders',
        field: `f|${event.folder.id}`,
        mode: 'lww',
        payload: JSON.stringify(event.folder),
        counts: 'folders',
      },
      { hash: 'folders', field: `c|${event.folder.id}`, mode: 'min', payload: '' },
    ];
  }
  if (event.type === 'folder.deleted') {
    return [{ hash: 'folders', field: `f|${event.folderId}`, mode: 'lww', payload: '', counts: 'folders' }];
  }
  if (event.type === 'account.resync') return [];

  const conv = conversationKey(event.conversation);
  if (event.type === 'conversation.removed') return [presence(conv, false), fact(`${conv}|x`, '')];
  // Every other conversation event says the conversation exists (again).
  const writes = [presence(conv, true)];
  if (event.type === 'conversation.upserted') {
    for (const [name, value] of Object.entries(event.attributes)) {
      writes.push(fact(`${conv}|a|${name}`, JSON.stringify(value)));
    }
  } else if (event.type === 'conversation.tagged' || event.type === 'conversation.untagged') {
    writes.push(fact(`${conv}|t|${event.tag}`, event.type === 'conversation.tagged' ? '1' : '0'));
  } else {
    const boolean = FLAG_EVENTS[event.type];
    if (boolean) writes.push(fact(`${conv}|a|${boolean[0]}`, String(boolean[1])));
  }
  return writes;
}
