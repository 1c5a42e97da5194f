/** Edit distance (insertions, deletions, substitutions), two rows at a time. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** A key's words: split at `_`, `-` and lower→upper case changes, lowercased. */
function segments(value: string): string[] {
  return value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[-_]+/)
    .filter((segment) => segment.length > 0);
}

/** True when the shorter list is the longer's first or last words (`bucket` in `bucket_name`). */
function sharesEdgeWords(a: string[], b: string[]): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length === 0 || short.length === long.length) return false;
  const matches = (offset: number) => short.every((segment, index) => segment === long[offset + index]);
  return matches(0) || matches(long.length - short.length);
}

/**
 * The candidate a mistyped word most likely meant, or undefined when none is close. Case and
 * `_`/`-` separators are ignored first (`instanceType` → `instance_type`). Otherwise a candidate
 * qualifies when it is within about a third of the word's length by edit distance, or when one's
 * whole words begin or end the other (`bucket_name` → `bucket`, `instance` → `instance_type`);
 * the qualifying candidate nearest by edit distance wins.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const normalize = (value: string) => value.toLowerCase().replace(/[-_]/g, '');
  const normalized = normalize(word);
  const sameWord = candidates.find((candidate) => normalize(candidate) === normalized);
  if (sameWord !== undefined) return sameWord;
  const limit = Math.max(2, Math.floor(word.length / 3));
  const words = segments(word);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = levenshtein(normalized, normalize(candidate));
    const qualifies = distance <= limit || sharesEdgeWords(words, segments(candidate));
    if (qualifies && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
