import { BerthError } from '@berth/core';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Deployment and endpoint names become file names (logs, ready files), so they are kept simple. */
export function validateResourceName(name: unknown, kind: 'deployment' | 'endpoint'): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw BerthError.invalidParameterValue(
      `Invalid ${kind} name '${String(name)}': use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      { suggestions: [`Pick a ${kind} name such as 'iris-v1'.`] },
    );
  }
  return name;
}
