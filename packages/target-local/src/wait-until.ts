import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Checks `condition` every `intervalMs` until it holds (returns something other than `undefined`
 * or `false`) or `timeoutMs` passes; resolves to that value, or `undefined` on timeout. The one
 * polling loop of the package: it is for what no event reports — another process's pid, a state
 * row another process writes. Children of this process are waited on through their events.
 */
export async function waitUntil<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 25;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(interval, left));
  }
}
