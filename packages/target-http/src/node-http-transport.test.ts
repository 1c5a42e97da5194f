import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeTransport } from './node-http-transport.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

const servers: Server[] = [];

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const seen: Seen[] = [];
  let sockets = 0;
  let closedSockets = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      });
      handler(request, response);
    });
  });
  server.on('connection', (socket) => {
    sockets++;
    socket.on('close', () => closedSockets++);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, open: () => sockets - closedSockets };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

const noTls = { insecure: false };

describe('createNodeTransport', () => {
  it('answers as fetch does: status, headers, text', async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end('{"ok":true}');
    });
    const transport = createNodeTransport(noTls);
    const response = await transport.fetch(`${url}/x`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect([response.status, response.statusText, response.ok]).toEqual([201, 'Made', true]);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('x-two')).toBe('a, b');
    expect(response.headers.get('missing')).toBeNull();
    expect(await response.text()).toBe('{"ok":true}');
    transport.close();
  });

  it('follows a 307 with method, body and credentials; a 303 becomes a GET without a body', async () => {
    const { url, seen } = await serve((request, response) => {
      if (request.url === '/a') return response.writeHead(307, { location: '/b' }).end();
      if (request.url === '/b') return response.writeHead(303, { location: '/c' }).end();
      response.writeHead(200).end('done');
    });
    const transport = createNodeTransport(noTls);
    const response = await transport.fetch(`${url}/a`, {
      method: 'POST',
      body: 'payload',
      headers: { authorization: 'Bearer t' },
    });
    expect(await response.text()).toBe('done');
    expect(seen.map(({ method, url: path, authorization, body }) => [method, path, authorization, body])).toEqual([
      ['POST', '/a', 'Bearer t', 'payload'],
      ['POST', '/b', 'Bearer t', 'payload'],
      ['GET', '/c', 'Bearer t', ''],
    ]);
    transport.close();
  });

  it('drops credentials on a redirect to another origin', async () => {
    const other = await serve((_request, response) => response.writeHead(200).end('elsewhere'));
    const { url } = await serve((_request, response) =>
      response.writeHead(302, { location: `${other.url}/there` }).end(),
    );
    const transport = createNodeTransport(noTls);
    const response = await transport.fetch(`${url}/here`, { headers: { authorization: 'Bearer secret' } });
    expect(await response.text()).toBe('elsewhere');
    expect(other.seen[0]?.authorization).toBeUndefined();
    transport.close();
  });

  it('rejects as fetch does: "fetch failed" with the reason as the cause, or the abort reason', async () => {
    const { url, seen } = await serve(() => {
      // never answers
    });
    const transport = createNodeTransport(noTls);
    const refused = await transport.fetch('http://127.0.0.1:9/', {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).message).toBe('fetch failed');
    expect(((refused as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const controller = new AbortController();
    const pending = transport.fetch(url, { signal: controller.signal });
    // Abort once the server has the request: the abort then ends a request in flight.
    await expect.poll(() => seen.length).toBe(1);
    controller.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');
    transport.close();
  });

  it('keeps connections alive between requests, and close() ends them', async () => {
    const server = await serve((_request, response) => response.writeHead(200).end('x'));
    const transport = createNodeTransport(noTls);
    for (let i = 0; i < 3; i++) await (await transport.fetch(server.url, {})).text();
    expect(server.open()).toBe(1);
    transport.close();
    await expect.poll(() => server.open()).toBe(0);
  });
});
