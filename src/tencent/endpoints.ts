/**
 * The Tencent Cloud Chat REST commands this project uses (provider-apis.md §B2): all POST, all
 * under service `recentcontact`. Names match the Yunxin table's where the operation is the same,
 * so metrics, logs and simulator call counts read alike for both providers.
 */
export const ENDPOINTS = {
  'group.create': { command: 'create_contact_group' },
  'group.update': { command: 'update_contact_group' },
  'group.delete': { command: 'del_contact_group' },
  'group.list': { command: 'get_contact_group' },
  'group.search': { command: 'search_contact_group' },
} as const;

export type EndpointName = keyof typeof ENDPOINTS;
export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as [EndpointName, ...EndpointName[]];

export const SERVICE_PATH = '/v4/recentcontact';

export function endpointPath(name: EndpointName): string {
  return `${SERVICE_PATH}/${ENDPOINTS[name].command}`;
}

/** "POST /v4/recentcontact/create_contact_group": a label without ids or account names in it. */
export function endpointLabel(name: EndpointName): string {
  return `POST ${endpointPath(name)}`;
}

/** Only create makes a second object when repeated; every other call is safe to repeat. */
export function isIdempotent(name: EndpointName): boolean {
  return name !== 'group.create';
}

/** The endpoint a request path names, if any. */
export function endpointOfPath(pathname: string): EndpointName | undefined {
  return ENDPOINT_NAMES.find((name) => endpointPath(name) === pathname);
}
