export { type Config, ConfigError, configSchema, loadConfig } from './config.js';
export * from './events/index.js';
export { type PublishResult, publish, publishMany } from './jobs/publish.js';
export { createPublisher, type Publisher, type PublisherOptions } from './publisher/create-publisher.js';
export * from './rules/index.js';
export * from './tencent/index.js';
export * from './yunxin/index.js';
