import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request a loopback server saw. */
export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Handler = (request: SeenRequest, response: ServerResponse, attempt: number) => void | Promise<void>;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` (or https). */
  url: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

const open = new Set<Server>();

/**
 * A real HTTP server on 127.0.0.1 and port 0 that answers with `handler` and records every
 * request. Tests close it with `close()`; `closeAll()` in afterEach catches the rest.
 */
export async function startLoopbackServer(handler: Handler, tls?: TlsServerOptions): Promise<LoopbackServer> {
  const seen: SeenRequest[] = [];
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: SeenRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      seen.push(entry);
      Promise.resolve(handler(entry, response, seen.length)).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(String(error));
      });
    });
  };
  const server = tls ? createTlsServer(tls, listener) : createServer(listener);
  open.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    close: () => closeServer(server),
  };
}

export async function closeAllLoopbackServers(): Promise<void> {
  await Promise.all([...open].map(closeServer));
}

function closeServer(server: Server): Promise<void> {
  open.delete(server);
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Writes a JSON answer. */
export function answerJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
