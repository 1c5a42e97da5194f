import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

describe('DeadlineQueue', () => {
  it('fires the deadlines that were not settled, in order, and only those', async () => {
    const queue = new DeadlineQueue(40);
    const fired: number[] = [];
    const deadlines = [0, 1, 2, 3].map((index) => queue.add(() => fired.push(index)));
    deadlines[1]?.settle();
    deadlines[3]?.settle();
    // Nothing is held once every deadline fired or was settled; by then exactly 0 and 2 fired.
    await vi.waitFor(() => expect(queue.size).toBe(0), { timeout: 5_000, interval: 10 });
    expect(fired).toEqual([0, 2]);
  });

  it('holds about what is in flight, not every request of the last timeout period', () => {
    const queue = new DeadlineQueue(60_000);
    for (let index = 0; index < 100_000; index++) queue.add(() => undefined).settle();
    expect(queue.size).toBeLessThanOrEqual(1);
  });

  it('a slow request at the head keeps the entries behind it only until it settles', () => {
    const queue = new DeadlineQueue(60_000);
    const slow = queue.add(() => undefined);
    for (let index = 0; index < 5_000; index++) queue.add(() => undefined).settle();
    expect(queue.size).toBe(5_001);
    slow.settle();
    queue.add(() => undefined);
    expect(queue.size).toBe(1);
  });

  it('a settled deadline lets go of its callback (and so of the request it closes over)', async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const queue = new DeadlineQueue(60_000);
    // The queue keeps the entry (its deadline is a minute away) and this test keeps the handle.
    const { deadline, request } = (() => {
      const held = { answer: 'the request a callback closes over' };
      return { deadline: queue.add(() => held.answer), request: new WeakRef(held) };
    })();
    deadline.settle();
    // A WeakRef target stays alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(request.deref()).toBeUndefined();
    expect(queue.size).toBe(1);
  });
});
