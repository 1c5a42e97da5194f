import { describe, expect, it } from 'vitest';
import { withProgress } from './progress.js';

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) > 0 } };
}

describe('withProgress', () => {
  it('draws a spinner on a terminal and erases it when the task ends', async () => {
    const { writes, stream } = recorder(true);
    const result = await withProgress('Creating deployment d', () => new Promise((r) => setTimeout(() => r(42), 250)), {
      stream,
    });
    expect(result).toBe(42);
    expect(writes[0]).toBe('\r⠋ Creating deployment d');
    expect(writes.length).toBeGreaterThanOrEqual(3);
    expect(writes.at(-1)).toBe(`\r${' '.repeat('Creating deployment d'.length + 2)}\r`);
  });

  it('erases the spinner when the task fails, and passes the error on', async () => {
    const { writes, stream } = recorder(true);
    await expect(withProgress('x', () => Promise.reject(new Error('boom')), { stream })).rejects.toThrow('boom');
    expect(writes.at(-1)).toBe('\r   \r');
  });

  it('writes nothing when the stream is not a terminal or with --json', async () => {
    const pipe = recorder(false);
    expect(await withProgress('x', async () => 1, { stream: pipe.stream })).toBe(1);
    const json = recorder(true);
    expect(await withProgress('x', async () => 2, { stream: json.stream, json: true })).toBe(2);
    expect([...pipe.writes, ...json.writes]).toEqual([]);
  });
});
