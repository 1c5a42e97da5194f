import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScoringServerHandle, startScoringServer } from '../dist/index.js';
import { irisModel, irisSplit } from './helpers.js';

// Short limits so the test waits in the hundreds of milliseconds; the defaults are 10 s / 60 s / 1024.
let server: ScoringServerHandle;
beforeAll(async () => {
  server = await startScoringServer({
    modelUri: irisModel,
    workers: 0,
    logger: false,
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    maxConnections: 3,
  });
}, 60_000);
afterAll(() => server?.close());

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server writes until it closes the connection, and how long that took. */
function untilClosed(socket: Socket, limitMs: number): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    socket.once('close', () => {
      clearTimeout(guard);
      resolve({ text, ms: Date.now() - started });
    });
    socket.on('error', () => undefined);
  });
}

describe('slow clients', () => {
  it('closes a connection whose headers trickle in past headersTimeoutMs, with 408', async () => {
    const socket = await open();
    const closed = untilClosed(socket, 5_000);
    socket.write('POST /invocations HTTP/1.1\r\nHost: x\r\n');
    // Keep the connection busy with one header line at a time, never finishing the headers.
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 50);
    const { text } = await closed.finally(() => clearInterval(trickle));
    expect(text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose body never finishes past requestTimeoutMs, with 408', async () => {
    const socket = await open();
    const closed = untilClosed(socket, 5_000);
    const body = irisSplit();
    socket.write(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n`,
    );
    socket.write(body.slice(0, 10));
    const { text, ms } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(300); // the headers arrived in time: it is the whole-request limit that fired
  });

  it('refuses connections beyond maxConnections and serves again once they close', async () => {
    const held = await Promise.all([open(), open(), open()]);
    const extra = await open();
    // The server drops a connection over the limit as soon as it accepts it.
    await expect(untilClosed(extra, 5_000)).resolves.toMatchObject({ text: '' });
    for (const socket of held) socket.destroy();
    await expect
      .poll(
        async () => {
          const answer = await fetch(`${server.url}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: irisSplit(),
            // A connection made while the server still counts the closed ones is dropped, and
            // undici can leave that first attempt pending: bound each attempt, the poll retries.
            signal: AbortSignal.timeout(1_000),
          }).catch(() => undefined);
          return answer?.status;
        },
        { timeout: 5_000 },
      )
      .toBe(200);
  }, 15_000);

  it('refuses a requestTimeoutMs shorter than headersTimeoutMs with a clear message', async () => {
    await expect(
      startScoringServer({ modelUri: irisModel, logger: false, headersTimeoutMs: 1_000, requestTimeoutMs: 500 }),
    ).rejects.toThrow(/requestTimeoutMs \(500\) must be at least headersTimeoutMs \(1000\)/);
  });
});
