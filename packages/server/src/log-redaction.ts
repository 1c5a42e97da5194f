/**
 * Keeps config values out of log lines: a target's error message may quote the config it was given
 * (an environment variable's value, a key), and config is where users put secrets.
 */

const SHORTEST_REDACTED = 4;

function collectStrings(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 8) return;
  if (typeof value === 'string') {
    if (value.length >= SHORTEST_REDACTED) into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, into, depth + 1);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectStrings(item, into, depth + 1);
  }
}

/** `text` with every string found in `values` (at any depth, 4 characters or longer) replaced by `[redacted]`. */
export function redactValues(text: string, values: unknown): string {
  const secrets = new Set<string>();
  collectStrings(values, secrets);
  // Longest first, so a value that contains another is replaced whole.
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join('[redacted]');
  }
  return result;
}
