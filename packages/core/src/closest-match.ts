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

/**
 * The candidate a mistyped word most likely meant, or undefined when none is close. Case and
 * `_`/`-` separators are ignored first (`instanceType` → `instance_type`); otherwise the nearest
 * by edit distance, within about a third of the word's length.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const normalize = (value: string) => value.toLowerCase().replace(/[-_]/g, '');
  const normalized = normalize(word);
  const sameWord = candidates.find((candidate) => normalize(candidate) === normalized);
  if (sameWord !== undefined) return sameWord;
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = levenshtein(normalized, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
