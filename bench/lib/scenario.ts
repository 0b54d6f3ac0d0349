import type { Machine } from './machine.js';

export type Profile = 'quick' | 'full';

export interface ScenarioContext {
  profile: Profile;
  /** the machine's Redis (shared: work under a private prefix, delete it afterwards) */
  redisUrl: string;
  log(message: string): void;
}

/** A goal of the issue and how this run did against it. */
export interface Goal {
  goal: string;
  value: string;
  met: boolean;
}

/** What one benchmark writes to bench/results/<name>.json. */
export interface ScenarioResult<Figures = Record<string, unknown>> {
  name: string;
  title: string;
  profile: Profile;
  startedAt: string;
  durationSeconds: number;
  command: string;
  machine: Machine;
  /** 1-minute load average at the start and the end of this benchmark */
  loadAverage: { start: number; end: number };
  params: Record<string, unknown>;
  figures: Figures;
  goals: Goal[];
  notes: string[];
}

export interface Scenario<Figures = Record<string, unknown>> {
  name: string;
  title: string;
  /** rough seconds per profile, printed before it starts */
  expectedSeconds: Record<Profile, number>;
  run(ctx: ScenarioContext): Promise<{
    params: Record<string, unknown>;
    figures: Figures;
    goals: Goal[];
    notes?: string[];
  }>;
  /** the markdown section of docs/benchmarks.md (without its heading) */
  render(result: ScenarioResult<Figures>): string;
  /** charts to write next to docs/benchmarks.md: file name (docs/…) → SVG text */
  charts?(result: ScenarioResult<Figures>): Record<string, string>;
}
