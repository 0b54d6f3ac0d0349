import { type FolderKey, isFolderKey } from '../rules/folder-key.js';

/**
 * The marker this service writes into a managed group's `server_extension`:
 *   {"managed_by":"yunxin-folder-sync","v":1,"folder":"app:projects"}
 * A group without it (made by the user in a client) is never touched. Before re-creating a
 * group whose create outcome is unknown, the engine lists groups and adopts the marked one.
 */
export const MARKER_OWNER = 'yunxin-folder-sync';

export function markerFor(folder: FolderKey): string {
  return JSON.stringify({ managed_by: MARKER_OWNER, v: 1, folder });
}

export function parseMarker(serverExtension: string | undefined): FolderKey | undefined {
  if (!serverExtension?.includes(MARKER_OWNER)) return undefined;
  try {
    const parsed = JSON.parse(serverExtension) as { managed_by?: unknown; folder?: unknown };
    return parsed.managed_by === MARKER_OWNER &&
      typeof parsed.folder === 'string' &&
      isFolderKey(parsed.folder)
      ? parsed.folder
      : undefined;
  } catch {
    return undefined;
  }
}
