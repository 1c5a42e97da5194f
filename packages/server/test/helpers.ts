import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createServerLogger } from '../src/berth-server.js';
import { type BerthServer, type ServerOptions, startServer } from '../src/index.js';

export const WRITE_TOKEN = 'test-write-token-0123456789';
export const READ_TOKEN = 'test-read-token-0123456789';

/** A pino logger with the server's own settings whose lines land in `lines` (to grep them). */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createServerLogger('debug', stream);
  return { logger, lines };
}

export interface TestServer {
  server: BerthServer;
  url: string;
  logLines: string[];
  /** JSON request with the write token unless `token` says otherwise (`null`: none). */
  api(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; json: () => unknown; text: string }>;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> & { target: string }): Promise<TestServer> {
  const { logger, lines } = capturedLogger();
  const server = await startServer({
    port: 0,
    tokens: { readWrite: [WRITE_TOKEN], readOnly: [READ_TOKEN] },
    logger,
    ...options,
  });
  return {
    server,
    url: server.url,
    logLines: lines,
    async api(method, path, { body, token = WRITE_TOKEN, headers = {} } = {}) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
    },
    close: async () => {
      await server.close({ operationTimeoutMs: 5_000 });
    },
  };
}

/** Frames of a `text/event-stream` body: `{event?, data}` each. */
export function sseFrames(text: string): { event?: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const result: { event?: string; data: string } = { data: '' };
      for (const line of frame.split('\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon);
        const value = line.slice(colon + 1).trimStart();
        if (key === 'event') result.event = value;
        else if (key === 'data') result.data = value;
        else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
      }
      return result;
    });
}

/** Polls an operation with long-poll waits until it finishes (bounded). */
export async function waitForOperation(
  test: TestServer,
  id: string,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await test.api('GET', `/api/berth/v1/operations/${id}?wait=5`);
    const operation = answer.json() as Record<string, unknown>;
    if (operation.state !== 'running') return operation;
  }
  throw new Error(`operation ${id} did not finish within ${timeoutMs} ms`);
}
