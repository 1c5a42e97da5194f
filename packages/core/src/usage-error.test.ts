import { expect, it } from 'vitest';
import { BerthError } from './berth-error.js';
import { UsageError } from './usage-error.js';

it('a UsageError exits 2 and is recognised by its marker, not by class identity', () => {
  const error = new UsageError("--workers must be an integer >= 0; got 'many'");
  expect(error.exitCode).toBe(2);
  expect(UsageError.isInstance(error)).toBe(true);
  // What another copy of core would make: same marker, another class.
  const foreign = Object.assign(new Error('x'), { [Symbol.for('berth.usage-error')]: true });
  expect(UsageError.isInstance(foreign)).toBe(true);
  expect(UsageError.isInstance(new Error('x'))).toBe(false);
  expect(UsageError.isInstance(new BerthError('x', { code: 'BAD_REQUEST' }))).toBe(false);
  expect(BerthError.isInstance(error)).toBe(false);
});
