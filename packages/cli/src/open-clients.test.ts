import { describe, expect, it } from 'vitest';
import { closeOpenClients, trackClient } from './open-clients.js';

describe('closeOpenClients', () => {
  it('awaits the close of every tracked client that has one, once', async () => {
    const closed: string[] = [];
    trackClient({
      close: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
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
    const started = Date.now();
    await closeOpenClients(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
