import { describe, expect, it, vi } from 'vitest';
import { closeOpenClients, trackClient } from './open-clients.js';

describe('closeOpenClients', () => {
  it('awaits the close of every tracked client that has one, once', async () => {
    const closed: string[] = [];
    trackClient({
      close: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        closed.push('slow');
      },
    });
    trackClient({});
    trackClient({ close: () => closed.push('sync') });
    await closeOpenClients();
    expect(closed.sort()).toEqual(['slow', 'sync']);
    await closeOpenClients();
    expect(closed).toHaveLength(2);
  });

  it('a close that fails or hangs does not hold the CLI past the limit', async () => {
    trackClient({ close: () => Promise.reject(new Error('boom')) });
    trackClient({ close: () => new Promise(() => undefined) });
    vi.useFakeTimers();
    try {
      let done = false;
      const closing = closeOpenClients(200).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(199);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
