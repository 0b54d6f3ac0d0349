import { createServer } from 'node:net';
import { expect } from 'vitest';
import { InvalidRequestError } from '../../src/provider/errors.js';
import type { CallLog } from '../../src/simulators/kit/call-log.js';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import {
  startTencentSimulator,
  type TencentSimulator,
  type TencentSimulatorOptions,
} from '../../src/simulators/tencent/server.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulators/yunxin/server.js';
import { TencentClient, type TencentClientOptions } from '../../src/tencent/client.js';
import { genUserSig } from '../../src/tencent/usersig.js';
import { YunxinClient, type YunxinClientOptions } from '../../src/yunxin/client.js';

export interface SimulatorHarness {
  sim: Simulator;
  client: YunxinClient;
  close(): Promise<void>;
}

/** A simulator on a free port with admin on, and a client pointed at it. */
/**
 * The Yunxin simulator and a client of it, for tests of the protocol. Conversations exist as soon
 * as a call names them (`strictConversations: false`) unless a test asks otherwise: these tests
 * are about groups; test/yunxin/conversations.test.ts and the engine's are about existence.
 */
export async function simulatorWithClient(
  opts: SimulatorOptions = {},
  clientOpts: Partial<YunxinClientOptions> = {},
): Promise<SimulatorHarness> {
  const sim = await startSimulator({ admin: true, strictConversations: false, ...opts });
  const client = new YunxinClient({ ...DEMO_APP, endpoints: [sim.url], ...clientOpts });
  return {
    sim,
    client,
    close: async () => {
      await client.close();
      await sim.close();
    },
  };
}

/** Rejection of a promise, for asserting on the error object itself. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

/** A loopback port nobody listens on: connecting to it is refused at once. */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The call is refused locally (InvalidRequestError naming `message`): nothing reached the simulator. */
export async function expectRefusedLocally(
  sim: { calls: CallLog },
  call: () => Promise<unknown>,
  message: string,
): Promise<void> {
  const before = sim.calls.snapshot().total;
  const err = await rejectionOf(call());
  expect(err).toBeInstanceOf(InvalidRequestError);
  expect(err.message).toContain(message);
  expect(sim.calls.snapshot().total).toBe(before);
}

/** JSON of an HTTP answer, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertion helper for arbitrary JSON
export async function fetchJson(url: string, init?: RequestInit): Promise<any> {
  return (await fetch(url, init)).json();
}

export interface TencentHarness {
  sim: TencentSimulator;
  client: TencentClient;
  /** the signed URL of a command, for requests the client would refuse to send */
  url(command: string, query?: Record<string, string>): string;
  close(): Promise<void>;
}

/** A Tencent simulator on a free port with admin on, and a client (the demo app's admin) pointed at it. */
export async function tencentWithClient(
  opts: TencentSimulatorOptions = {},
  clientOpts: Partial<TencentClientOptions> = {},
): Promise<TencentHarness> {
  const sim = await startTencentSimulator({ admin: true, ...opts });
  const app = TENCENT_DEMO_APP;
  const client = new TencentClient({
    sdkappid: app.sdkappid,
    identifier: app.admin,
    secretKey: app.secretKey,
    endpoints: [sim.url],
    ...clientOpts,
  });
  const url = (command: string, query: Record<string, string> = {}) => {
    const params = new URLSearchParams({
      sdkappid: String(app.sdkappid),
      identifier: app.admin,
      usersig: genUserSig({
        sdkappid: app.sdkappid,
        key: app.secretKey,
        identifier: query.identifier ?? app.admin,
        expireSeconds: 86_400,
        nowMs: Date.now(),
      }),
      random: '12345',
      contenttype: 'json',
      ...query,
    });
    return `${sim.url}/v4/recentcontact/${command}?${params}`;
  };
  return {
    sim,
    client,
    url,
    close: async () => {
      await client.close();
      await sim.close();
    },
  };
}
