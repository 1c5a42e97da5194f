import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineQueue', () => {
  it('fires the deadlines that were not settled, in order, and only those', async () => {
    const queue = new DeadlineQueue(40);
    const fired: number[] = [];
    const deadlines = [0, 1, 2, 3].map((index) => queue.add(() => fired.push(index)));
    deadlines[1]?.settle();
    deadlines[3]?.settle();
    await sleep(120);
    expect(fired).toEqual([0, 2]);
    expect(queue.size).toBe(0);
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

  it('a settled deadline lets go of its callback (and so of the request it closes over)', () => {
    const queue = new DeadlineQueue(60_000);
    const deadline = queue.add(() => undefined) as unknown as { expire?: unknown; settle(): void };
    deadline.settle();
    expect(deadline.expire).toBeUndefined();
  });
});
