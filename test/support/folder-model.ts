import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLAG_EVENTS } from '../../src/events/schema.js';
import { seededRandom } from '../../src/simulators/yunxin/faults.js';
import { ROOT } from './processes.js';
/**
 * An independent model of what examples/rules.json puts in each folder, computed from the
 * published events alone (not with src/rules or src/facts):
 * - "Projects": attribute kind == "project" AND pinned
 * - "Customers": tagged "customer"
 * - "Direct messages": p2p (type 1), not archived
 * Facts are last-writer-wins by `at`, so the events are applied in `at` order; a removal
 * forgets everything the conversation had, and any later event brings it back clean.
 */

export const FOLDER_NAMES = ['Projects', 'Customers', 'Direct messages'] as const;

/** examples/rules.json as plain data, for tests that write variants of it. */
export function exampleRules(): { folders: Array<{ id: string; name: string; rule: unknown }> } {
  return JSON.parse(readFileSync(join(ROOT, 'examples/rules.json'), 'utf8'));
}
export type FolderName = (typeof FOLDER_NAMES)[number];

/** What the events said of one conversation so far (the models' facts). */
export interface ModelConversation {
  type: number;
  target: string;
  present: boolean;
  attributes: Map<string, unknown>;
  tags: Set<string>;
}

/**
 * Folds one conversation event into an account's conversations, events taken in `at` order: a
 * removal forgets everything the conversation had; any other event makes it present again. The
 * test models share this contract; each evaluates folders its own way.
 */
export function foldConversationEvent(
  conversations: Map<string, ModelConversation>,
  e: Record<string, unknown>,
): void {
  const type = e['type'] as string;
  const ref = e['conversation'] as { type: number; target: string };
  const key = `${ref.type}|${ref.target}`;
  let c = conversations.get(key);
  if (!c) {
    c = { type: ref.type, target: ref.target, present: false, attributes: new Map(), tags: new Set() };
    conversations.set(key, c);
  }
  if (type === 'conversation.removed') {
    c.present = false;
    c.attributes.clear();
    c.tags.clear();
    return;
  }
  c.present = true;
  if (type === 'conversation.upserted') {
    for (const [name, value] of Object.entries(e['attributes'] as Record<string, unknown>)) {
      if (value === null) c.attributes.delete(name);
      else c.attributes.set(name, value);
    }
  } else if (type === 'conversation.tagged') c.tags.add(e['tag'] as string);
  else if (type === 'conversation.untagged') c.tags.delete(e['tag'] as string);
  else {
    const flag = FLAG_EVENTS[type];
    if (!flag) throw new Error(`model: unknown event type ${type}`);
    c.attributes.set(flag[0], flag[1]);
  }
}

/** account → conversation key → what the events said of it, taken in `at` order. */
export function conversationsByAccount(
  events: readonly Record<string, unknown>[],
): Map<string, Map<string, ModelConversation>> {
  const byAccount = new Map<string, Map<string, ModelConversation>>();
  const ordered = [...events].sort((a, b) => (a['at'] as number) - (b['at'] as number));
  for (const e of ordered) {
    if (!e['conversation']) throw new Error(`the model covers conversation events only, got ${e['type']}`);
    const account = e['account'] as string;
    let conversations = byAccount.get(account);
    if (!conversations) {
      conversations = new Map();
      byAccount.set(account, conversations);
    }
    foldConversationEvent(conversations, e);
  }
  return byAccount;
}

/** account → folder name → sorted members (`type|target`, as `simGroups` reports them). */
export function expectedFolders(
  events: readonly Record<string, unknown>[],
): Map<string, Record<FolderName, string[]>> {
  const result = new Map<string, Record<FolderName, string[]>>();
  for (const [account, conversations] of conversationsByAccount(events)) {
    const folders: Record<FolderName, string[]> = { Projects: [], Customers: [], 'Direct messages': [] };
    for (const [key, c] of conversations) {
      if (!c.present) continue;
      if (c.attributes.get('kind') === 'project' && c.attributes.get('pinned') === true)
        folders.Projects.push(key);
      if (c.tags.has('customer')) folders.Customers.push(key);
      if (c.type === 1 && c.attributes.get('archived') !== true) folders['Direct messages'].push(key);
    }
    for (const name of FOLDER_NAMES) folders[name].sort();
    result.set(account, folders);
  }
  return result;
}

/** A seeded PRNG so a workload can be replayed (the simulator's). */
export const prng = seededRandom;
