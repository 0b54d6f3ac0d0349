import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { redisInfo } from './redis.js';

export interface Machine {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  redis: string;
  redisUrlKind: string;
  bullmq: string;
  ioredis: string;
  /** 1-minute load average when the run started and ended: the machine is shared */
  loadAverage: number[];
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? os.type();
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

export async function describeMachine(redisUrl: string): Promise<Machine> {
  const info = await redisInfo(redisUrl, 'server').catch(() => ({}) as Record<string, string>);
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    node: process.version,
    redis: info['redis_version']
      ? `${info['redis_version']} (${info['redis_mode'] ?? 'standalone'})`
      : 'unknown',
    redisUrlKind: /127\.0\.0\.1|localhost/.test(redisUrl) ? 'loopback' : 'remote',
    bullmq: packageVersion('bullmq'),
    ioredis: packageVersion('ioredis'),
    loadAverage: [Math.round(os.loadavg()[0]! * 100) / 100],
  };
}
