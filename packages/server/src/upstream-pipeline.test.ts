import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResponseHead } from './raw-http-head.js';
import { type UpstreamCall, UpstreamPipeline } from './upstream-pipeline.js';

// A loopback "deployment" that answers by script, to hold the pipeline to the framing cases a real
// server produces: pipelined answers arriving together or byte by byte, chunked answers, closes.

const servers: Server[] = [];
const pipelines: UpstreamPipeline[] = [];

afterEach(async () => {
  for (const pipeline of pipelines.splice(0)) pipeline.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Counts requests per connection; `answer(index, socket)` writes the answer to the index-th request. */
async function scriptedServer(answer: (index: number, socket: Socket, connection: number) => void) {
  let connections = 0;
  let requests = 0;
  const server = createServer((socket) => {
    const connection = connections++;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        answer(requests++, socket, connection);
      }
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, connections: () => connections };
}

function request(body: string): { head: Buffer; body: Buffer } {
  return {
    head: Buffer.from(`POST /invocations HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`),
    body: Buffer.from(body),
  };
}

interface Outcome {
  head?: ResponseHead;
  bytes: string;
  result: 'done' | 'failed' | 'aborted';
  reason?: string;
}

function call(body: string): { call: UpstreamCall; outcome: Promise<Outcome> } {
  let resolve!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((ok) => {
    resolve = ok;
  });
  const state: Outcome = { bytes: '', result: 'done' };
  return {
    outcome,
    call: {
      ...request(body),
      onHead: (head) => {
        state.head = head;
      },
      onBytes: (piece, last) => {
        state.bytes += piece.toString('latin1');
        if (last) resolve(state);
      },
      onFail: (reason) => resolve({ ...state, result: 'failed', reason }),
      onAbort: () => resolve({ ...state, result: 'aborted' }),
    },
  };
}

const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

function pipeline(depth = 8): UpstreamPipeline {
  const created = new UpstreamPipeline({ pipelineDepth: depth, maxConnections: 4, silenceTimeoutMs: 5_000 });
  pipelines.push(created);
  return created;
}

describe('UpstreamPipeline', () => {
  it('pipelines requests of one turn on one connection and hands each its own answer, in order', async () => {
    const upstream = await scriptedServer((index, socket) => socket.write(ok(`answer-${index}`)));
    const upstreamPipeline = pipeline();
    const calls = Array.from({ length: 6 }, (_, index) => call(`q${index}`));
    for (const entry of calls) upstreamPipeline.send('127.0.0.1', upstream.port, entry.call);
    const outcomes = await Promise.all(calls.map((entry) => entry.outcome));
    expect(outcomes.map((outcome) => outcome.bytes.split('\r\n\r\n')[1])).toEqual([
      'answer-0',
      'answer-1',
      'answer-2',
      'answer-3',
      'answer-4',
      'answer-5',
    ]);
    expect(outcomes[0]?.head).toMatchObject({ status: 200, framing: { kind: 'length', length: 8 } });
    expect(upstream.connections()).toBe(1);
  });

  it('opens more connections when one holds pipelineDepth requests', async () => {
    const upstream = await scriptedServer((index, socket) => socket.write(ok(`a${index}`)));
    const upstreamPipeline = pipeline(2);
    const calls = Array.from({ length: 6 }, (_, index) => call(`q${index}`));
    for (const entry of calls) upstreamPipeline.send('127.0.0.1', upstream.port, entry.call);
    await Promise.all(calls.map((entry) => entry.outcome));
    expect(upstream.connections()).toBe(3);
  });

  it('reassembles answers that arrive a byte at a time, and relays chunked answers whole', async () => {
    const upstream = await scriptedServer((index, socket) => {
      const text =
        index === 0
          ? ok('slowly')
          : 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
      let position = 0;
      const drip = () => {
        if (position >= text.length) return;
        socket.write(text[position++] as string);
        setImmediate(drip);
      };
      drip();
    });
    const upstreamPipeline = pipeline();
    const first = call('one');
    upstreamPipeline.send('127.0.0.1', upstream.port, first.call);
    expect((await first.outcome).bytes).toBe(ok('slowly'));
    const second = call('two');
    upstreamPipeline.send('127.0.0.1', upstream.port, second.call);
    const outcome = await second.outcome;
    expect(outcome.bytes).toBe('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    expect(outcome.head?.framing).toEqual({ kind: 'chunked' });
  });

  it('sends what was pipelined behind a Connection: close answer again on a new connection', async () => {
    const upstream = await scriptedServer((index, socket, connection) => {
      if (connection === 0 && index === 0) {
        socket.end(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nfirst`);
      } else if (connection === 0) {
        // Requests read after the close answer get nothing.
      } else {
        socket.write(ok(`again-${index}`));
      }
    });
    const upstreamPipeline = pipeline();
    const calls = Array.from({ length: 3 }, (_, index) => call(`q${index}`));
    for (const entry of calls) upstreamPipeline.send('127.0.0.1', upstream.port, entry.call);
    const outcomes = await Promise.all(calls.map((entry) => entry.outcome));
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['done', 'done', 'done']);
    expect(outcomes[0]?.bytes.endsWith('first')).toBe(true);
    expect(outcomes.slice(1).every((outcome) => outcome.bytes.includes('again-'))).toBe(true);
    expect(upstream.connections()).toBe(2);
  });

  it('aborts an answer cut off halfway, and reports a refused connection as unreachable', async () => {
    const upstream = await scriptedServer((_index, socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part');
      setImmediate(() => socket.destroy());
    });
    const upstreamPipeline = pipeline();
    const cut = call('q');
    upstreamPipeline.send('127.0.0.1', upstream.port, cut.call);
    expect(await cut.outcome).toMatchObject({ result: 'aborted', bytes: expect.stringContaining('only part') });

    const closed = await scriptedServer(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const refused = call('q');
    upstreamPipeline.send('127.0.0.1', closed.port, refused.call);
    expect(await refused.outcome).toMatchObject({ result: 'failed', reason: 'unreachable' });
  });

  it('reads an answer without length until the connection closes', async () => {
    const upstream = await scriptedServer((_index, socket) => {
      socket.write('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nstream');
      // The rest comes in a later write, after the client has read the first part.
      setImmediate(() => socket.end(' of bytes'));
    });
    const upstreamPipeline = pipeline();
    const answer = call('q');
    upstreamPipeline.send('127.0.0.1', upstream.port, answer.call);
    const outcome = await answer.outcome;
    expect(outcome.result).toBe('done');
    expect(outcome.bytes).toBe('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nstream of bytes');
  });
});
