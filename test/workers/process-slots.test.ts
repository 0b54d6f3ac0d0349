import { describe, expect, it } from 'vitest';
import { limitedBy, ProcessSlots } from '../../src/workers/process-slots.js';

describe('process slots', () => {
  it('run at most `size` jobs at once, in arrival order, and pass a slot on after a failure', async () => {
    const slots = new ProcessSlots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const job = limitedBy(slots, async (n: number) => {
      running++;
      peak = Math.max(peak, running);
      order.push(n);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      if (n === 0) throw new Error('boom');
      return n;
    });
    const all = [0, 1, 2, 3, 4].map((n) => job(n).catch((e: Error) => e.message));
    while (releases.length < 2) await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1]);
    for (let i = 0; i < 5; i++) {
      releases[i]!();
      while (releases.length < Math.min(5, i + 3)) await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(all)).toEqual(['boom', 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });
});
