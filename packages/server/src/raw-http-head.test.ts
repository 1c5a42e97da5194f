import { describe, expect, it } from 'vitest';
import { chunkedBodyEnd, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead } from './raw-http-head.js';

const buffer = (text: string) => Buffer.from(text, 'latin1');

describe('parseRequestHead', () => {
  it('reads the fields the fast path needs, case-insensitively', () => {
    const headText =
      'POST /endpoints/iris/invocations?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nAUTHORIZATION: Bearer t\r\nContent-Length: 12\r\naccept: */*\r\nConnection: keep-alive, Close\r\n\r\n';
    const head = parseRequestHead(buffer(`${headText}{"inputs":1}`));
    expect(head).toEqual({
      method: 'POST',
      target: '/endpoints/iris/invocations?x=1',
      contentLength: 12,
      contentType: 'application/json',
      authorization: 'Bearer t',
      accept: '*/*',
      close: true,
      headBytes: headText.length,
    });
  });

  it('waits for the blank line', () => {
    expect(parseRequestHead(buffer('POST / HTTP/1.1\r\nHost: h\r\n'))).toBe('incomplete');
  });

  it('leaves everything unusual to node:http', () => {
    for (const text of [
      'POST / HTTP/1.0\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n',
      'POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n',
      'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
      'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
      'POST / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n',
      'POST / HTTP/1.1\r\nno colon here\r\n\r\n',
      'GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n',
    ]) {
      expect([text, parseRequestHead(buffer(text))]).toEqual([text, 'unsupported']);
    }
    expect(parseRequestHead(buffer(`POST / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`))).toBe('unsupported');
  });
});

describe('parseResponseHead', () => {
  it('finds the framing: length, chunked, until close', () => {
    const text =
      'xxHTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\nConnection: keep-alive\r\n\r\nhello';
    expect(parseResponseHead(buffer(text), 2)).toEqual({
      status: 200,
      headBytes: text.length - 2 - 5,
      framing: { kind: 'length', length: 5 },
      close: false,
    });
    expect(
      parseResponseHead(buffer('HTTP/1.1 500 E\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'), 0),
    ).toMatchObject({
      status: 500,
      framing: { kind: 'chunked' },
      close: true,
    });
    expect(parseResponseHead(buffer('HTTP/1.0 200 OK\r\n\r\n'), 0)).toMatchObject({
      framing: { kind: 'close' },
      close: true,
    });
    expect(parseResponseHead(buffer('HTTP/1.1 204 No Content\r\n\r\n'), 0)).toMatchObject({
      framing: { kind: 'length', length: 0 },
    });
    expect(parseResponseHead(buffer('HTTP/1.1 200 OK\r\n'), 0)).toBeUndefined();
    expect(() => parseResponseHead(buffer('SSH-2.0-OpenSSH\r\n\r\n'), 0)).toThrow(/not HTTP/);
  });
});

describe('chunkedBodyEnd', () => {
  it('finds the end after the last chunk and the trailers, or waits', () => {
    const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT';
    expect(chunkedBodyEnd(buffer(`..${body}`), 2)).toBe(2 + body.length - 4);
    expect(chunkedBodyEnd(buffer('5\r\nhel'), 0)).toBeUndefined();
    expect(chunkedBodyEnd(buffer('0\r\n'), 0)).toBeUndefined();
    expect(() => chunkedBodyEnd(buffer('zz\r\n'), 0)).toThrow(/malformed/);
  });
});
