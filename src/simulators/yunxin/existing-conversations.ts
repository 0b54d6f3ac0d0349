/**
 * The Yunxin conversations a batch of events names (and the conversations user folders list),
 * as `account|type|target`: what the app describes exists server-side in the normal case — a
 * conversation the user chatted in. Tests and benchmarks seed the simulator with them, so that
 * only a test about missing conversations meets Yunxin's 110404 (`state.seedConversations`).
 */
export function conversationIdsOf(events: readonly unknown[]): string[] {
  const ids = new Set<string>();
  for (const e of events as Array<Record<string, unknown>>) {
    const account = e?.['account'];
    if (typeof account !== 'string') continue;
    const refs = [
      e['conversation'],
      ...(((e['folder'] as { include?: unknown[] } | undefined)?.include ?? []) as unknown[]),
    ];
    for (const ref of refs as Array<{ type?: unknown; target?: unknown } | undefined>) {
      if (ref && typeof ref.type === 'number' && typeof ref.target === 'string')
        ids.add(`${account}|${ref.type}|${ref.target}`);
    }
  }
  return [...ids];
}
