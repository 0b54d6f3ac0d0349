/**
 * A small, realistic story for newcomers: three users of a team chat app pin project
 * channels, tag customer channels, make a folder of their own, and change their minds.
 */
// Ids and times of this run: running the demo again is new news, not a repeat to ignore.
let T0 = Date.now();
let n = 0;
const ev = (account: string, type: string, extra: Record<string, unknown>) => ({
  id: `demo-${T0}-${++n}`,
  type,
  account,
  at: T0 + n,
  ...extra,
});
const team = (target: string) => ({ conversation: { type: 2, target } });
const dm = (target: string) => ({ conversation: { type: 1, target } });

export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;

export function demoPhases(): Array<{ title: string; events: Array<Record<string, unknown>> }> {
  n = 0;
  T0 = Date.now();
  return [
    {
      title: 'The app so far: project channels pinned, customers tagged, a folder of her own for alice',
      events: [
        ev('alice', 'conversation.upserted', {
          ...team('apollo'),
          attributes: { kind: 'project', name: 'Apollo' },
        }),
        ev('alice', 'conversation.upserted', {
          ...team('zeus'),
          attributes: { kind: 'project', name: 'Zeus' },
        }),
        ev('alice', 'conversation.pinned', team('apollo')),
        ev('alice', 'conversation.pinned', team('zeus')),
        ev('alice', 'conversation.tagged', { ...team('acme-support'), tag: 'customer' }),
        ev('alice', 'conversation.upserted', { ...dm('bob'), attributes: {} }),
        ev('alice', 'folder.upserted', {
          folder: {
            id: 'design',
            name: 'Design',
            include: [
              { type: 2, target: 'figma-reviews' },
              { type: 2, target: 'zeus' },
            ],
          },
        }),
        ev('bob', 'conversation.upserted', {
          ...team('apollo'),
          attributes: { kind: 'project', name: 'Apollo' },
        }),
        ev('bob', 'conversation.pinned', team('apollo')),
        ev('bob', 'conversation.tagged', { ...team('globex'), tag: 'customer' }),
        ev('bob', 'conversation.upserted', { ...dm('alice'), attributes: {} }),
        ev('carol', 'conversation.upserted', { ...dm('dave'), attributes: {} }),
        ev('carol', 'conversation.archived', dm('dave')),
        ev('carol', 'conversation.tagged', { ...team('initech'), tag: 'customer' }),
      ],
    },
    {
      title: 'Then: alice unpins Zeus and renames her folder, bob takes on Acme, carol unarchives dave',
      events: [
        ev('alice', 'conversation.unpinned', team('zeus')),
        ev('alice', 'folder.upserted', {
          folder: { id: 'design', name: 'Design reviews', include: [{ type: 2, target: 'figma-reviews' }] },
        }),
        ev('bob', 'conversation.tagged', { ...team('acme-support'), tag: 'customer' }),
        ev('carol', 'conversation.unarchived', dm('dave')),
        ev('carol', 'folder.upserted', {
          folder: { id: 'later', name: 'Read later', include: [{ type: 2, target: 'initech' }] },
        }),
      ],
    },
  ];
}
