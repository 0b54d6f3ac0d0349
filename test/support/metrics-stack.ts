import { expect } from 'vitest';
import { startServer } from '../../src/cli/actions/serve.js';
import { startWorkerProcess } from '../../src/cli/actions/worker.js';
import { conversationIdsOf } from '../../src/simulators/yunxin/existing-conversations.js';
import { freePort } from './compose.js';
import { type Engine, ev, startEngine, team } from './engine.js';
import { capturedLogger } from './log-capture.js';
import { parseScrape, type Scrape, samplesOf } from './prometheus.js';

const INGEST_TOKEN = 'ingest-token-metrics-0123456789';

export interface MetricsStack {
  engine: Engine;
  /** where the worker's metrics server and serve listen */
  urls: { worker: string; serve: string };
  /** GET /metrics of the worker process or of serve, parsed */
  scrape(process: 'worker' | 'serve'): Promise<Scrape>;
  close(): Promise<void>;
}

/**
 * `folder-sync worker` (with WORKER_METRICS_PORT) and `folder-sync serve`, in this process as
 * their commands start them, on two partitions, the Yunxin simulator and a key prefix of their own.
 */
export async function startMetricsStack(): Promise<MetricsStack> {
  const engine = await startEngine({
    noWorkers: true,
    env: { PARTITIONS: '2', WORKER_METRICS_PORT: String(await freePort()), HTTP_PORT: '0', INGEST_TOKEN },
  });
  const { logger } = capturedLogger({ level: 'warn', name: 'metrics' });
  const worker = await startWorkerProcess(engine.config, logger);
  const server = await startServer(engine.config, logger);
  const urls = { worker: worker.http!.url, serve: server.http.url };
  return {
    engine,
    urls,
    scrape: async (process) => {
      const res = await fetch(`${urls[process]}/metrics`);
      expect(res.status).toBe(200);
      return parseScrape(await res.text());
    },
    close: async () => {
      await server.close();
      await worker.close();
      await engine.close();
    },
  };
}

/** The outcomes of the provider calls the worker has counted. */
async function callOutcomes(stack: MetricsStack): Promise<string[]> {
  return samplesOf(await stack.scrape('worker'), 'folder_sync_provider_calls_total').map(
    (s) => s.labels['outcome'] ?? '',
  );
}

/**
 * Events in through ingest (one refused), then calls the provider answers with HTTP 503, then
 * with rate limits, then normally, until the account is reconciled and the queues are idle: a
 * run after which most series of both processes have samples.
 */
export async function driveThroughFailures(stack: MetricsStack): Promise<void> {
  const e = stack.engine;
  const account = `metrics-${process.pid}`;
  const events = [
    ev('conversation.tagged', account, { ...team('m1'), tag: 'customer' }),
    ev('conversation.pinned', account, { ...team('m2') }),
  ];
  e.sim.state.seedConversations(conversationIdsOf(events));
  e.sim.setFaults({ serverErrorRate: 1, serverErrorAs: 'http' });
  const res = await fetch(`${stack.urls.serve}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify([...events, { type: 'conversation.pinned' }]),
  });
  expect(res.status).toBe(202);
  await e.eventually(async () => expect(await callOutcomes(stack)).toContain('http_error'));
  e.sim.setFaults({ serverErrorRate: 0, rateLimitRate: 1 });
  await e.eventually(async () => expect(await callOutcomes(stack)).toContain('rate_limited'));
  e.sim.setFaults({ rateLimitRate: 0 });
  await e.eventually(() => expect(Object.keys(e.groups(account)).length).toBeGreaterThan(0));
  await e.idle();
}
