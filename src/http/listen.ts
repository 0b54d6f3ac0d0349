import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from '../log.js';

export interface Listening {
  /** where to reach it from this machine (a wildcard address is reached on 127.0.0.1) */
  url: string;
  port: number;
  /** the address really bound, e.g. `0.0.0.0:8080`, `[::]:8080`, `127.0.0.1:8080` */
  bound: string;
  /** other machines may reach it: the bound address is not a loopback one */
  exposed: boolean;
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and 127.x mapped into IPv6. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export function listen(app: Hono, host: string, port: number): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      resolve({
        url: `http://${hostPort(WILDCARDS.has(info.address) ? '127.0.0.1' : info.address, info.port)}`,
        port: info.port,
        bound: hostPort(info.address, info.port),
        exposed: !isLoopback(info.address),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // an HTTP/1 server (what serve() starts here) drops its keep-alive sockets; HTTP/2 has no such call
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}

/**
 * Logs where a server listens — the address really bound, not the one to browse to — and warns
 * when other machines can reach it: `what` names the server, `open` what it serves to anyone.
 */
export function logListening(
  log: Logger,
  http: Listening,
  what: string,
  open: string,
  fields: Record<string, unknown> = {},
): void {
  log.info({ bound: http.bound, url: http.url, ...fields }, `${what} listening on ${http.bound}`);
  if (!http.exposed) return;
  log.warn(
    { bound: http.bound },
    `HTTP_HOST is not a loopback address: ${open} can be reached from other machines at ${http.bound}. ` +
      'Set HTTP_HOST=127.0.0.1, or keep the port on a private network or behind a firewall',
  );
}
