import { YunxinClient, type YunxinClientOptions } from '../../src/yunxin/client.js';
import {
  DEMO_APP,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/yunxin/simulator/server.js';

export interface SimulatorHarness {
  sim: Simulator;
  client: YunxinClient;
  close(): Promise<void>;
}

/** A simulator on a free port with admin on, and a client pointed at it. */
export async function simulatorWithClient(
  opts: SimulatorOptions = {},
  clientOpts: Partial<YunxinClientOptions> = {},
): Promise<SimulatorHarness> {
  const sim = await startSimulator({ admin: true, ...opts });
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

/** JSON of an HTTP answer, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertion helper for arbitrary JSON
export async function fetchJson(url: string, init?: RequestInit): Promise<any> {
  return (await fetch(url, init)).json();
}
