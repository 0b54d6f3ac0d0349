/**
 * The Yunxin IM server API v2 endpoints this project uses: one table shared by the client
 * (building requests), the simulator (routing) and logs/metrics (the `endpoint` label).
 * Source: ../shared/reference/provider-apis.md §A5, §A6.
 */
export const ENDPOINTS = {
  'group.create': { method: 'POST', path: '/im/v2/conversation_groups' },
  'group.update': { method: 'PATCH', path: '/im/v2/conversation_groups/{group_id}' },
  'group.delete': { method: 'DELETE', path: '/im/v2/conversation_groups/{group_id}' },
  'group.get': { method: 'GET', path: '/im/v2/conversation_groups/{group_id}' },
  'group.batchGet': { method: 'GET', path: '/im/v2/conversation_groups/actions/group_ids' },
  'group.list': { method: 'GET', path: '/im/v2/conversation_groups' },
  'group.conversations': { method: 'GET', path: '/im/v2/conversation_groups/{group_id}/conversations' },
  'conversation.create': { method: 'POST', path: '/im/v2.1/conversations' },
  'conversation.update': { method: 'PATCH', path: '/im/v2/conversations/{conversation_id}' },
  'conversation.get': { method: 'GET', path: '/im/v2.1/conversations/{conversation_id}' },
  'conversation.list': { method: 'GET', path: '/im/v2.1/conversations' },
} as const;

export type EndpointName = keyof typeof ENDPOINTS;
export type HttpMethod = (typeof ENDPOINTS)[EndpointName]['method'];

/** Only create can make a second object when repeated; every other call is safe to repeat. */
export function isIdempotent(name: EndpointName): boolean {
  return name !== 'group.create';
}

/** "PATCH /im/v2/conversation_groups/{group_id}": a label without ids or account names in it. */
export function endpointLabel(name: EndpointName): string {
  const e = ENDPOINTS[name];
  return `${e.method} ${e.path}`;
}

/** Fills `{param}` placeholders, percent-encoding each value (conversation ids contain `|`). */
export function fillPath(name: EndpointName, params: Readonly<Record<string, string>> = {}): string {
  return ENDPOINTS[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`missing path parameter ${key} for ${name}`);
    return encodeURIComponent(value);
  });
}
