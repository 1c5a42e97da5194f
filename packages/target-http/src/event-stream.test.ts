import { describe, expect, it } from 'vitest';
import { mlflowStreamChunks, serverSentEvents, textLines } from './event-stream.js';

async function* bytes(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('textLines', () => {
  it('splits at \\n, \\r\\n and \\r, also when a chunk boundary falls inside one', async () => {
    expect(await collect(textLines(bytes('a\r', '\nb\rc\n', 'd')))).toEqual(['a', 'b', 'c', 'd']);
    expect(await collect(textLines(bytes('a\r', 'b')))).toEqual(['a', 'b']);
    expect(await collect(textLines(bytes('x\n\n')))).toEqual(['x', '']);
  });

  it('decodes a UTF-8 character split across chunks', async () => {
    const text = new TextEncoder().encode('é\n');
    expect(await collect(textLines(bytes(text.slice(0, 1), text.slice(1))))).toEqual(['é']);
  });
});

describe('serverSentEvents', () => {
  it('dispatches at blank lines, joins data lines, names events, ignores comments', async () => {
    const lines = textLines(
      bytes(': hello\ndata: {"a":1}\n\nevent: error\ndata: {"b":\ndata: 2}\n\ndata: tail-without-blank'),
    );
    expect(await collect(serverSentEvents(lines))).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'error', data: '{"b":\n2}' },
    ]);
  });
});

describe('mlflowStreamChunks', () => {
  it('reads data lines until [DONE]', async () => {
    const lines = textLines(bytes('data: {"a":1}\n\n  data:  [2]  \n\ndata: [DONE]\ndata: {"never":true}\n'));
    expect(await collect(mlflowStreamChunks(lines))).toEqual([{ a: 1 }, [2]]);
  });
});
