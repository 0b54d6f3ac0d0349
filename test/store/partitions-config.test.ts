/** The partition and cluster settings: what is accepted, and each mistake refused by name. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, workerPartitions } from '../../src/config.js';

const load = (env: Record<string, string>) =>
  loadConfig({ PROVIDER_APP_ID: 'k', PROVIDER_SECRET: 's', ...env });

describe('partition settings', () => {
  it('default to 16 partitions, all taken; take ranges and lists', () => {
    expect(workerPartitions(load({}))).toHaveLength(16);
    expect(workerPartitions(load({ WORKER_PARTITIONS: '0-3,7,5-5' }))).toEqual([0, 1, 2, 3, 5, 7]);
    expect(load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).REDIS_CLUSTER_NODES).toEqual([
      '10.0.0.1:7000',
      '10.0.0.2:7001',
    ]);
  });

  it.each([
    [{ PARTITIONS: '0' }, /PARTITIONS/],
    [{ PARTITIONS: '2000' }, /PARTITIONS/],
    [{ WORKER_PARTITIONS: '1-x' }, /WORKER_PARTITIONS: all, or partition numbers/],
    [{ WORKER_PARTITIONS: '7-3' }, /WORKER_PARTITIONS: "7-3" names no partition/],
    [{ PARTITIONS: '8', WORKER_PARTITIONS: '6-9' }, /WORKER_PARTITIONS: 8, 9 not below PARTITIONS \(8\)/],
    [{ REDIS_CLUSTER_NODES: 'redis-a' }, /REDIS_CLUSTER_NODES.*host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'plain' }, /QUEUE_PREFIX: needs a \{hash tag\}/],
  ])('refuse %j', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
