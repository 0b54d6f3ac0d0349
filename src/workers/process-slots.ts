/**
 * A process-wide limit on jobs run at once, shared by the BullMQ workers of every partition the
 * process takes: WORKER_CONCURRENCY and EVENT_CONCURRENCY stay per process, however many
 * partitions there are. A job waiting for a slot is held by this process (its lock renewed),
 * never run twice.
 */
export class ProcessSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // the slot passes straight on to the next job waiting, if any
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** A processor that runs only in one of `slots`. */
export const limitedBy =
  <A extends unknown[], R>(slots: ProcessSlots, processor: (...args: A) => Promise<R>) =>
  (...args: A): Promise<R> =>
    slots.run(() => processor(...args));
