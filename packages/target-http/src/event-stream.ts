import { BerthError } from '@berth/core';

/**
 * The lines of a UTF-8 byte stream, split at `\n`, `\r\n` or `\r` (as Python's `iter_lines` and
 * the SSE spec do), including a last line without a line break.
 */
export async function* textLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  // A chunk ending in `\r` may be the first half of `\r\n`: hold the decision until the next chunk.
  let endedWithCarriageReturn = false;
  for await (const chunk of chunks) {
    let text = decoder.decode(chunk, { stream: true });
    if (endedWithCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    pending += text;
    endedWithCarriageReturn = pending.endsWith('\r');
    const parts = pending.split(/\r\n|\r|\n/);
    pending = parts.pop() ?? '';
    yield* parts;
  }
  pending += decoder.decode();
  if (pending !== '') yield pending;
}

/**
 * MLflow's rules for a streamed prediction (its Databricks client; MLflow's gateway client has
 * none): each line stripped, blank lines skipped, every other line must be `data: <value>`,
 * `[DONE]` ends the stream, any other value is one JSON chunk. Messages are MLflow's.
 */
export async function* mlflowStreamChunks(lines: AsyncIterable<string>): AsyncGenerator<unknown> {
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) {
      throw new BerthError(`Unknown response format: '${line}', expected 'data: <value>' for streaming response.`);
    }
    const key = line.slice(0, colon);
    if (key !== 'data') {
      throw new BerthError(
        `Unknown response format with key '${key}'. Expected 'data: <value>' for streaming response, got '${line}'.`,
      );
    }
    const value = line.slice(colon + 1).trim();
    if (value === '[DONE]') return;
    yield parseChunk(value);
  }
}

/** One event of a `text/event-stream`: its type (`message` unless named) and its data lines joined. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * The events of a `text/event-stream` as the SSE spec defines them: `field: value` lines (one
 * leading space dropped from the value), comment lines starting with `:`, an event dispatched at
 * each blank line. An unfinished event at the end of the stream is dropped, as the spec says.
 */
export async function* serverSentEvents(lines: AsyncIterable<string>): AsyncGenerator<ServerSentEvent> {
  let event = '';
  let data: string[] = [];
  for await (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    // `id` and `retry` concern reconnecting EventSource clients; a prediction stream is not resumed.
  }
}

export function parseChunk(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (cause) {
    const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
    throw new BerthError(`Invalid JSON in streaming response: '${shown}'.`, { cause });
  }
}
