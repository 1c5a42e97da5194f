import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from './fast-metrics.js';

describe('fast metrics', () => {
  it("write the same exposition as prom-client's Histogram and Counter for the same observations", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const buckets = [0.001, 0.01, 0.1, 1];
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['route'],
      buckets,
      registers: [theirs],
    });
    const fast = new FastHistogram('h_seconds', 'h', ['route'], buckets, ours);
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['status'], registers: [theirs] });
    const fastCounter = new FastCounter('c_total', 'c', ['status'], ours);
    const plain = new Histogram({ name: 'p', help: 'p', buckets: [1, 2], registers: [theirs] });
    const fastPlain = new FastHistogram('p', 'p', [], [1, 2], ours);
    const bound = fast.labels({ route: '/a"b' });
    for (const value of [0.0005, 0.001, 0.05, 3, 0.2]) {
      histogram.observe({ route: '/a"b' }, value);
      bound.observe(value);
      histogram.observe({ route: '/x' }, value * 2);
      fast.observe({ route: '/x' }, value * 2);
      plain.observe(value * 4);
      fastPlain.observe(value * 4);
    }
    counter.inc({ status: '200' });
    counter.inc({ status: '200' }, 2);
    counter.inc({ status: '500' });
    fastCounter.labels({ status: '200' }).inc();
    fastCounter.inc({ status: '200' }, 2);
    fastCounter.inc({ status: '500' });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('refuse unknown labels and non-numbers, as prom-client does', () => {
    const registry = new Registry();
    const histogram = new FastHistogram('h', 'h', ['route'], [1], registry);
    expect(() => histogram.observe({ nope: 'x' } as never, 1)).toThrow(/not included in initial labelset/);
    expect(() => histogram.observe({ route: 'a' }, Number.NaN)).toThrow(/not a valid number/);
    expect(() => new FastCounter('h', 'again', [], registry)).toThrow(/already been registered/);
  });
});
