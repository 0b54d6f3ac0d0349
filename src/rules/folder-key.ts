import { APP_FOLDER_ID_PATTERN, USER_FOLDER_ID_PATTERN } from './schema.js';

/**
 * App folders and user folders live in separate namespaces: `app:projects` and
 * `user:projects` are different folders. Neither kind of id may contain ":", so the
 * first ":" always ends the namespace.
 */
export type FolderKey = `app:${string}` | `user:${string}`;
export type FolderNamespace = 'app' | 'user';

export interface ParsedFolderKey {
  namespace: FolderNamespace;
  id: string;
}

const isAppFolderId = (id: string): boolean => id.length <= 64 && APP_FOLDER_ID_PATTERN.test(id);
const isUserFolderId = (id: string): boolean => id.length <= 128 && USER_FOLDER_ID_PATTERN.test(id);

/** Throws RangeError for an id the schema would refuse: a key must always parse back. */
export function appFolderKey(id: string): FolderKey {
  if (!isAppFolderId(id)) throw new RangeError(`invalid app folder id ${JSON.stringify(id)}`);
  return `app:${id}`;
}

/** Throws RangeError for an id the schema would refuse: a key must always parse back. */
export function userFolderKey(id: string): FolderKey {
  if (!isUserFolderId(id)) throw new RangeError(`invalid user folder id ${JSON.stringify(id)}`);
  return `user:${id}`;
}

/** `undefined` for anything that is not a well-formed key (e.g. read back from storage). */
export function parseFolderKey(key: string): ParsedFolderKey | undefined {
  const colon = key.indexOf(':');
  const namespace = key.slice(0, colon);
  const id = key.slice(colon + 1);
  if (colon < 0) return undefined;
  if (namespace === 'app' && isAppFolderId(id)) return { namespace, id };
  if (namespace === 'user' && isUserFolderId(id)) return { namespace, id };
  return undefined;
}

export function isFolderKey(key: string): key is FolderKey {
  return parseFolderKey(key) !== undefined;
}
