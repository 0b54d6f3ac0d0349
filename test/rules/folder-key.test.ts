import { describe, expect, it } from 'vitest';
import { appFolderKey, isFolderKey, parseFolderKey, userFolderKey } from '../../src/rules/folder-key.js';

describe('folder keys', () => {
  it('keeps app and user namespaces apart', () => {
    expect(appFolderKey('projects')).toBe('app:projects');
    expect(userFolderKey('projects')).toBe('user:projects');
    expect(appFolderKey('projects')).not.toBe(userFolderKey('projects'));
  });

  it('parses back what it builds', () => {
    expect(parseFolderKey(appFolderKey('a-1'))).toEqual({ namespace: 'app', id: 'a-1' });
    expect(parseFolderKey(userFolderKey('My Folder ✨'))).toEqual({ namespace: 'user', id: 'My Folder ✨' });
  });

  it('refuses malformed keys', () => {
    for (const key of [
      'projects',
      'app:',
      'user:',
      'app:Projects',
      'team:x',
      'user:a:b',
      'user:a|b',
      ':x',
      '',
    ]) {
      expect(parseFolderKey(key), key).toBeUndefined();
      expect(isFolderKey(key), key).toBe(false);
    }
    expect(parseFolderKey(`user:${'x'.repeat(129)}`)).toBeUndefined();
  });

  it('refuses ids the schemas would refuse', () => {
    expect(() => appFolderKey('Projects')).toThrow(RangeError);
    expect(() => userFolderKey('a:b')).toThrow(RangeError);
    expect(() => userFolderKey('')).toThrow(RangeError);
  });
});
