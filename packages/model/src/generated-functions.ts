/**
 * The one place that generates code (`new Function`), for the answer builders in
 * predictions-json.ts: functions built once per output layout measured clearly faster than generic
 * loops for small answers (see that file). Under `node --disallow-code-generation-from-strings`
 * (or a CSP-like policy) generation throws; then `generateFunction` answers undefined from then on
 * and the callers use their generic paths, which give the same JSON.
 */
type Generated = (...values: never[]) => unknown;

const cache = new Map<string, Generated>();
/** A server answers with a handful of layouts; a bound keeps a stream of odd ones from piling up. */
const CACHE_LIMIT = 64;
let allowed: boolean | undefined;

export function generateFunction<F extends Generated>(parameters: readonly string[], body: string): F | undefined {
  if (allowed === false) return undefined;
  const key = `${parameters.join(',')}\u0000${body}`;
  let found = cache.get(key);
  if (found === undefined) {
    try {
      found = new Function(...parameters, body) as Generated;
      allowed = true;
    } catch (error) {
      // Only a refused generation turns it off; anything else is a bug in the caller's source text.
      if (error instanceof EvalError) {
        allowed = false;
        return undefined;
      }
      throw error;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, found);
  }
  return found as F;
}
