import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './engine.js';

export const CLI = join(ROOT, 'bin/folder-sync.js');

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** the last 64 KB of its output */
  output(): string;
  /** resident set size now and its peak (VmHWM), in bytes, from /proc */
  memory(): { rss: number; peakRss: number };
  stop(): Promise<void>;
  /** kill -9: no shutdown handler runs */
  kill(): Promise<void>;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** `folder-sync worker` as a real process (bin/folder-sync.js); resolves once it logged "workers started". */
export async function startWorkerProcess(env: NodeJS.ProcessEnv, cli = CLI): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [cli, 'worker'], {
    cwd: ROOT,
    // info: the readiness line ("workers started") is logged at info; nothing is logged per job at info
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-65_536);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`worker process did not start in 60 s:\n${out}`));
    }, 60_000);
    const poll = setInterval(() => {
      if (out.includes('workers started')) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      } else if (!alive(child)) {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`worker process exited (${child.exitCode}) before starting:\n${out}`));
      }
    }, 25);
  });
  const pid = child.pid!;
  return {
    child,
    pid,
    output: () => out,
    memory: () => processMemory(pid),
    kill: async () => {
      if (alive(child)) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!alive(child)) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** VmRSS and VmHWM of a process (Linux), in bytes; zeros where /proc is not there. */
export function processMemory(pid: number | 'self' = 'self'): { rss: number; peakRss: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
  } catch {
    return { rss: 0, peakRss: 0 };
  }
}

/** User + system CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
export function processCpuSeconds(pid: number): number {
  try {
    // fields after the command name: state is #3, utime #14 and stime #15 (clock ticks, 100 Hz)
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
