import { BerthError } from '@berth/core';
import type { ContractPoint } from './contract-points.js';

const GUIDE = 'docs/writing-a-target.md, "Contract points"';

/**
 * A target broke a contract point. The message says which point, what was called, what the
 * contract wants and what the target did, so a failing run reads as a to-do list.
 */
export class ContractViolation extends Error {
  readonly point: ContractPoint;

  constructor(point: ContractPoint, message: string, options: { cause?: unknown } = {}) {
    super(`[${point}] ${message}\n(see ${GUIDE})`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ContractViolation';
    this.point = point;
  }
}

export function violation(point: ContractPoint, message: string, cause?: unknown): never {
  throw new ContractViolation(point, message, cause === undefined ? {} : { cause });
}

/** A short, bounded rendering of any value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  if (value instanceof Error || BerthError.isInstance(value)) {
    const code = (value as { code?: unknown }).code;
    return `${value.name}${typeof code === 'string' ? ` ${code}` : ''}: ${value.message}`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export type Outcome = { resolved: true; value: unknown } | { resolved: false; error: unknown };

/** Settles a call that may throw synchronously or return a promise, without throwing. */
export async function settle(call: () => unknown): Promise<Outcome> {
  try {
    return { resolved: true, value: await call() };
  } catch (error) {
    return { resolved: false, error };
  }
}

/**
 * The call must reject with a BerthError whose code is one of `codes`; returns that error.
 * `what` reads as the call, e.g. "getDeployment('x-missing')".
 */
export async function expectBerthError(
  point: ContractPoint,
  what: string,
  codes: readonly string[] | 'any code',
  call: () => unknown,
): Promise<BerthError> {
  const outcome = await settle(call);
  const wanted = codes === 'any code' ? 'any code' : codes.join(' or ');
  const example = codes === 'any code' ? 'INVALID_PARAMETER_VALUE' : codes[0];
  if (outcome.resolved) {
    violation(
      point,
      `${what} must reject with a BerthError of code ${wanted}; it resolved to ${describeValue(outcome.value)}.`,
    );
  }
  const { error } = outcome;
  if (!BerthError.isInstance(error)) {
    violation(
      point,
      `${what} must reject with a BerthError of code ${wanted} (throw new BerthError(message, { code: '${example}' }) from @berth/core); it threw ${describeValue(error)}.`,
      error,
    );
  }
  if (codes !== 'any code' && !codes.includes(error.code)) {
    violation(point, `${what} must reject with code ${wanted}; it rejected with ${describeValue(error)}.`, error);
  }
  if (error.message.trim().length < 10) {
    violation(
      point,
      `${what} rejected with ${error.code} but the message ${JSON.stringify(error.message)} says nothing a user can act on.`,
    );
  }
  return error;
}

/** The call must resolve; a rejection is reported as a violation of `point` with the error. */
export async function expectResolves<T>(point: ContractPoint, what: string, call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (error) {
    return violation(point, `${what} must resolve; it rejected with ${describeValue(error)}.`, error);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Deployment or Endpoint must be an object whose `name` is the requested name. */
export function expectNamed(point: ContractPoint, what: string, value: unknown, name: string): Record<string, unknown> {
  if (!isRecord(value))
    violation(point, `${what} must resolve to an object with a "name" field; it resolved to ${describeValue(value)}.`);
  if (value.name !== name) {
    violation(
      point,
      `${what} must resolve to an object whose "name" is ${JSON.stringify(name)}; got name ${describeValue(value.name)} in ${describeValue(value)}.`,
    );
  }
  return value;
}
