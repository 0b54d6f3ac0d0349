/**
 * `yunxin-folder-sync/publisher`: what an app needs to publish events, and nothing of the
 * service. It imports only ioredis, zod and Node's built-ins (test/publisher/import-graph.test.ts
 * walks every import), so an app needs ten packages for it (itself, ioredis and its seven,
 * zod), where bullmq would add eleven.
 *
 * How jobs are added without bullmq: BullMQ's own addStandardJob Lua script, vendored from the
 * pinned bullmq (scripts/vendor-bullmq-script.ts; a test fails when the installed bullmq's
 * differs), called with the same keys and msgpack arguments (./msgpack.ts writes msgpackr's
 * bytes), so its workers take the jobs for ones `Queue.addBulk` added. Chosen over an intake
 * stream the service would move into BullMQ: that is a second hop to make reliable and a
 * second place events wait, while this adds the job before the publish returns, as BullMQ did.
 * The service publishes the same way (src/jobs/publish.ts is the one implementation), so every
 * path — HTTP ingest, `folder-sync publish`, this — writes identical jobs. The cost: a bullmq
 * upgrade needs the script vendored again (the test says so).
 */
export type { AccountLimits, DomainEvent, EventLimits, EventType } from '../events/index.js';
export type { PublishResult } from '../jobs/publish.js';
export {
  createPublisher,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  type Publisher,
  type PublisherOptions,
  PublishTimeoutError,
} from './create-publisher.js';
