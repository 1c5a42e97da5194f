/**
 * The small part of HTTP/1.1 the invocation fast path reads by hand: a request head, a response head,
 * and where a response body ends. Anything outside the plain cases (folded headers, a request with
 * Transfer-Encoding or Expect, HTTP/1.0) is reported as `unsupported`, and the connection goes to
 * node:http, which handles all of HTTP.
 */

const HEAD_END = Buffer.from('\r\n\r\n');
/** A head larger than this goes to node:http (which answers 431 where it must). */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface RequestHead {
  method: string;
  target: string;
  /** Lower-case name → value; only the headers the fast path reads. */
  contentLength: number;
  contentType: string | undefined;
  authorization: string | undefined;
  accept: string | undefined;
  /** The client asked to close the connection after this answer. */
  close: boolean;
  /** Bytes of the head, the blank line included. */
  headBytes: number;
}

export type HeadResult = RequestHead | 'incomplete' | 'unsupported';

/** Parses the request head at the start of `buffer`. */
export function parseRequestHead(buffer: Buffer): HeadResult {
  const end = buffer.indexOf(HEAD_END);
  if (end < 0) return buffer.length > MAX_HEAD_BYTES ? 'unsupported' : 'incomplete';
  if (end > MAX_HEAD_BYTES) return 'unsupported';
  const text = buffer.toString('latin1', 0, end);
  const lineEnd = text.indexOf('\r\n');
  const requestLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const firstSpace = requestLine.indexOf(' ');
  const lastSpace = requestLine.lastIndexOf(' ');
  if (firstSpace <= 0 || lastSpace <= firstSpace || requestLine.slice(lastSpace + 1) !== 'HTTP/1.1') {
    return 'unsupported';
  }
  const head: RequestHead = {
    method: requestLine.slice(0, firstSpace),
    target: requestLine.slice(firstSpace + 1, lastSpace),
    contentLength: 0,
    contentType: undefined,
    authorization: undefined,
    accept: undefined,
    close: false,
    headBytes: end + 4,
  };
  let sawLength = false;
  let position = lineEnd < 0 ? text.length : lineEnd + 2;
  while (position < text.length) {
    let next = text.indexOf('\r\n', position);
    if (next < 0) next = text.length;
    const first = text.charCodeAt(position);
    // Obsolete line folding (a line starting with whitespace) is left to node:http.
    if (first === 32 || first === 9) return 'unsupported';
    const colon = text.indexOf(':', position);
    if (colon < 0 || colon > next) return 'unsupported';
    const name = text.slice(position, colon).toLowerCase();
    const value = text.slice(colon + 1, next).trim();
    switch (name) {
      case 'content-length':
        if (sawLength || !/^\d{1,15}$/.test(value)) return 'unsupported';
        sawLength = true;
        head.contentLength = Number(value);
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return 'unsupported';
      case 'content-type':
        head.contentType = value;
        break;
      case 'authorization':
        head.authorization = value;
        break;
      case 'accept':
        head.accept = value;
        break;
      case 'connection':
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) head.close = true;
        break;
    }
    position = next + 2;
  }
  return head;
}

const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?:\r|$)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked[ \t]*(?:\r|$)/i;
const CONNECTION = /\r\nconnection:[ \t]*([^\r]*)/i;

export interface ResponseHead {
  status: number;
  headBytes: number;
  /** Body framing: a length, chunked, or "until the connection closes". */
  framing: { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };
  /** The server will close the connection after this answer. */
  close: boolean;
}

/** Parses a response head at `offset`; undefined while incomplete; throws on garbage. */
export function parseResponseHead(buffer: Buffer, offset: number): ResponseHead | undefined {
  const end = buffer.indexOf(HEAD_END, offset);
  if (end < 0) {
    if (buffer.length - offset > MAX_HEAD_BYTES) throw new Error('the upstream answer head is too large');
    return undefined;
  }
  const text = buffer.toString('latin1', offset, end);
  if (!text.startsWith('HTTP/1.'))
    throw new Error(`the upstream answered something that is not HTTP: ${JSON.stringify(text.slice(0, 40))}`);
  const status = Number(text.slice(9, 12));
  if (!Number.isInteger(status) || status < 100) throw new Error('the upstream answer has no status');
  // Regular expressions over the head text: no per-line strings on the path every answer takes.
  const lengthMatch = CONTENT_LENGTH.exec(text);
  const length = lengthMatch ? Number(lengthMatch[1]) : undefined;
  const chunked = CHUNKED.test(text);
  const connection = CONNECTION.exec(text)?.[1];
  let close = text.startsWith('HTTP/1.0');
  if (connection !== undefined) {
    if (/close/i.test(connection)) close = true;
    else if (/keep-alive/i.test(connection)) close = false;
  }
  const headBytes = end + 4 - offset;
  // No body: 1xx, 204, 304 (a POST to /invocations never gets these, but framing must not hang on them).
  if (status < 200 || status === 204 || status === 304)
    return { status, headBytes, framing: { kind: 'length', length: 0 }, close };
  if (chunked) return { status, headBytes, framing: { kind: 'chunked' }, close };
  if (length !== undefined && Number.isSafeInteger(length) && length >= 0) {
    return { status, headBytes, framing: { kind: 'length', length }, close };
  }
  return { status, headBytes, framing: { kind: 'close' }, close: true };
}

/**
 * Where a chunked body that starts at `offset` ends (the byte after its last CRLF), or undefined
 * while it is incomplete. Trailers are skipped.
 */
export function chunkedBodyEnd(buffer: Buffer, offset: number): number | undefined {
  let position = offset;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', position, 'latin1');
    if (lineEnd < 0) return undefined;
    const sizeText = buffer.toString('latin1', position, lineEnd).split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw new Error('the upstream sent a malformed chunk');
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) {
      // Trailers, then an empty line.
      let trailer = lineEnd + 2;
      for (;;) {
        const trailerEnd = buffer.indexOf('\r\n', trailer, 'latin1');
        if (trailerEnd < 0) return undefined;
        if (trailerEnd === trailer) return trailerEnd + 2;
        trailer = trailerEnd + 2;
      }
    }
    const next = lineEnd + 2 + size + 2;
    if (buffer.length < next) return undefined;
    position = next;
  }
}
