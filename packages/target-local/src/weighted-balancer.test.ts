import { describe, expect, it } from 'vitest';
import { pickSmoothWeighted } from './weighted-balancer.js';

describe('pickSmoothWeighted', () => {
  it('picks in exact proportion over a window and interleaves', () => {
    const members = [
      { name: 'a', weight: 5, current: 0 },
      { name: 'b', weight: 1, current: 0 },
      { name: 'c', weight: 1, current: 0 },
    ];
    const picks = Array.from({ length: 7 }, () => pickSmoothWeighted(members)?.name);
    expect(picks.filter((p) => p === 'a')).toHaveLength(5);
    expect(picks.join('')).toBe('aabacaa');
  });

  it('skips zero weights and answers undefined when nothing is eligible', () => {
    expect(pickSmoothWeighted([{ name: 'a', weight: 0, current: 0 }])).toBeUndefined();
    const members = [
      { name: 'a', weight: 0, current: 0 },
      { name: 'b', weight: 3, current: 0 },
    ];
    expect(new Set(Array.from({ length: 10 }, () => pickSmoothWeighted(members)?.name))).toEqual(new Set(['b']));
  });
});
