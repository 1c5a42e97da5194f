import { BerthError } from '@berth/core';

/** A value read from the environment, with the name of the variable it came from (for messages). */
export interface EnvironmentValue {
  variable: string;
  value: string;
}

/** The first of `names` that is set to something other than the empty string. */
export function readFirst(environment: NodeJS.ProcessEnv, names: readonly string[]): EnvironmentValue | undefined {
  for (const name of names) {
    const value = environment[name];
    if (value !== undefined && value !== '') return { variable: name, value };
  }
  return undefined;
}

/** Seconds, 0 or more (0 turns the timeout off); MLflow's variables hold whole seconds, fractions also work here. */
export function readSeconds(environment: NodeJS.ProcessEnv, names: readonly string[], fallback: number): Seconds {
  const found = readFirst(environment, names);
  if (!found) return { seconds: fallback, variable: names[0] as string, fromEnvironment: false };
  const seconds = Number(found.value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw BerthError.invalidParameterValue(
      `Invalid ${found.variable}: ${JSON.stringify(found.value)}; it must be a number of seconds, 0 or more (0 waits without limit).`,
    );
  }
  return { seconds, variable: found.variable, fromEnvironment: true };
}

export interface Seconds {
  seconds: number;
  /** The variable that set it, or the first one that could have. */
  variable: string;
  fromEnvironment: boolean;
}

/** MLflow's boolean variables: `true`/`false`/`1`/`0` in any case; anything else is an error, not false. */
export function readBoolean(
  environment: NodeJS.ProcessEnv,
  names: readonly string[],
): EnvironmentValue & { on: boolean } {
  const found = readFirst(environment, names);
  if (!found) return { variable: names[0] as string, value: '', on: false };
  const lowered = found.value.trim().toLowerCase();
  if (lowered === 'true' || lowered === '1') return { ...found, on: true };
  if (lowered === 'false' || lowered === '0') return { ...found, on: false };
  throw BerthError.invalidParameterValue(
    `Invalid ${found.variable}: ${JSON.stringify(found.value)}; it must be true, false, 1 or 0.`,
  );
}
