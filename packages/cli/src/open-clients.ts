// Kept free of imports: run-cli loads it on every path, including `berth --help`.
const openClients = new Set<object>();

/** Remembers a client a command opened, so the CLI can close it before `process.exit`. */
export function trackClient(client: object): void {
  openClients.add(client);
}

/**
 * Lets each client a command opened finish its work before the CLI calls `process.exit`: a target
 * may have started something in the background (the local target restarts a deployment whose
 * supervisor is gone while `list` returns) that an exit would cut off half-way. `close` is optional
 * for targets; a slow one is given up on after `timeoutMs`.
 */
export async function closeOpenClients(timeoutMs = 120_000): Promise<void> {
  const closing = [...openClients].map(async (client) => {
    const close = (client as { close?: unknown }).close;
    if (typeof close === 'function') await (close as () => unknown).call(client);
  });
  openClients.clear();
  if (closing.length === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(closing), limit]);
  clearTimeout(timer);
}
