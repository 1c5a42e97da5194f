import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeStatus } from './status-probe.js';

// The probe against real node:http servers on 127.0.0.1, port 0: what it accepts as an answer
// and every way it reports none.

const servers: Server[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const TOKEN = 'a-control-token-of-some-length';

describe('probeStatus', () => {
  it('returns the status body of a 200, asking the control route with the bearer token', async () => {
    const seen: { url?: string; authorization?: string } = {};
    const url = await serve((request, response) => {
      seen.url = request.url;
      seen.authorization = request.headers.authorization;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ pid: 42, requestsServed: 7, note: 'naïve ✓' }));
    });
    expect(await probeStatus(url, TOKEN, 2_000)).toEqual({ pid: 42, requestsServed: 7, note: 'naïve ✓' });
    expect(seen).toEqual({ url: '/-/berth/status', authorization: `Bearer ${TOKEN}` });
  });

  it('reads an answer written in pieces without a length (up to the close)', async () => {
    const url = await serve((_request, response) => {
      response.write('{"pid":');
      setImmediate(() => response.end('1}'));
    });
    expect(await probeStatus(url, TOKEN, 2_000)).toEqual({ pid: 1 });
  });

  it.each([
    ['a 401', (_: IncomingMessage, response: ServerResponse) => response.writeHead(401).end('{"error":"no"}')],
    ['a 500', (_: IncomingMessage, response: ServerResponse) => response.writeHead(500).end('{}')],
    ['a body that is not JSON', (_: IncomingMessage, response: ServerResponse) => response.end('<html>')],
    ['a JSON value that is not an object', (_: IncomingMessage, response: ServerResponse) => response.end('3')],
  ])('answers undefined for %s', async (_, handler) => {
    const url = await serve(handler);
    expect(await probeStatus(url, TOKEN, 2_000)).toBeUndefined();
  });

  it('answers undefined when the body is cut short of its Content-Length', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('{"pid":1}');
      setImmediate(() => response.socket?.destroy());
    });
    expect(await probeStatus(url, TOKEN, 2_000)).toBeUndefined();
  });

  it('answers undefined when nothing answers within the deadline, and leaves no socket open', async () => {
    let connections = 0;
    const url = await serve(() => {
      connections++; // never answers
    });
    expect(await probeStatus(url, TOKEN, 200)).toBeUndefined();
    expect(connections).toBe(1);
    await expect.poll(() => sockets.size, { timeout: 5_000 }).toBe(0);
  });

  it('answers undefined when the answer trickles past the deadline', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"pid":');
      const timer = setTimeout(() => response.end('1}'), 2_000);
      response.on('close', () => clearTimeout(timer));
    });
    expect(await probeStatus(url, TOKEN, 200)).toBeUndefined();
  });

  it('answers undefined when nothing listens, and for a URL it cannot probe', async () => {
    const url = await serve(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await probeStatus(url, TOKEN, 2_000)).toBeUndefined();
    expect(await probeStatus('not a url', TOKEN, 2_000)).toBeUndefined();
    expect(await probeStatus('https://127.0.0.1:1', TOKEN, 2_000)).toBeUndefined();
  });
});
