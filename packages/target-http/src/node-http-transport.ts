import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { BerthError } from '@berth/core';
import { CLIENT_CERT_VARIABLES, SERVER_CERT_VARIABLES, type TlsSettings } from './tls-settings.js';

/** The fetch signature core's `fetchWithRetry` sends its attempts through. */
export type FetchFunction = (input: string | URL, init: RequestInit) => Promise<Response>;

/**
 * The connection's transport: `fetch` semantics (the subset `fetchWithRetry` and this package use)
 * on `node:http`/`node:https` with keep-alive agents this connection owns. Why not Node's global
 * fetch: its first call loads undici, which costs more than the rest of a `berth predict -t http://…`
 * (bench/http); the global pool cannot be closed by one client; and TLS options (a CA bundle,
 * client certificates) need an agent of one's own anyway. Retries, backoff and timeouts stay
 * core's: this only carries one attempt.
 */
export interface Transport {
  fetch: FetchFunction;
  /** Destroys the agents' sockets (idle and in use). */
  close(): void;
}

/** Redirects followed, as fetch does by default (MLflow's requests session too). */
const MAX_REDIRECTS = 5;

export function createNodeTransport(tls: TlsSettings): Transport {
  const plain = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let secure: Promise<https.Agent> | undefined;
  const agentFor = async (url: URL): Promise<http.Agent> => {
    if (url.protocol === 'http:') return plain;
    secure ??= secureAgent(tls);
    return secure;
  };
  return {
    fetch: (input, init) => send(new URL(String(input)), init, agentFor, 0),
    close() {
      plain.destroy();
      secure?.then((agent) => agent.destroy()).catch(() => undefined);
      secure = undefined;
    },
  };
}

async function secureAgent(tls: TlsSettings): Promise<https.Agent> {
  const options: https.AgentOptions = { keepAlive: true, maxSockets: 64, rejectUnauthorized: !tls.insecure };
  if (tls.serverCertPath !== undefined) {
    options.ca = await readPem(tls.serverCertPath, SERVER_CERT_VARIABLES, 'a CA bundle');
  }
  if (tls.clientCertPath !== undefined) {
    // requests' `cert=path` form: one PEM with the certificate and its key; TLS picks each block.
    const pem = await readPem(tls.clientCertPath, CLIENT_CERT_VARIABLES, 'a client certificate and key');
    options.cert = pem;
    options.key = pem;
  }
  return new https.Agent(options);
}

async function readPem(path: string, variables: readonly string[], what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw BerthError.invalidParameterValue(
      `${variables.join(' / ')} names ${path} (${what}), which cannot be read (${reason}).`,
      { cause },
    );
  }
}

async function send(
  url: URL,
  init: RequestInit,
  agentFor: (url: URL) => Promise<http.Agent>,
  redirects: number,
): Promise<Response> {
  const agent = await agentFor(url);
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = headerRecord(init.headers);
  const body = typeof init.body === 'string' ? init.body : undefined;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();

  const message = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent });
    let response: IncomingMessage | undefined;
    // Before the answer an abort fails the request; after it, it ends the body with the signal's reason.
    const onAbort = () => (response ?? request).destroy(abortReason(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('response', (answer) => {
      response = answer;
      answer.once('close', () => signal?.removeEventListener('abort', onAbort));
      resolve(answer);
    });
    request.once('error', (error) => {
      if (response) return;
      signal?.removeEventListener('abort', onAbort);
      // fetch's shape, which core reads: "fetch failed", the reason (ECONNREFUSED …) in `cause`.
      reject(signal?.aborted ? abortReason(signal) : new TypeError('fetch failed', { cause: error }));
    });
    request.end(body);
  });

  const status = message.statusCode ?? 0;
  const location = message.headers.location;
  if (location && [301, 302, 303, 307, 308].includes(status) && redirects < MAX_REDIRECTS) {
    message.resume();
    const next = new URL(location, url);
    const keepsMethod = status === 307 || status === 308 || (method !== 'POST' && status !== 303);
    const nextHeaders = { ...headers };
    delete nextHeaders['content-length'];
    // Credentials go only where they were meant to go, as fetch does on a cross-origin redirect.
    if (next.origin !== url.origin) delete nextHeaders.authorization;
    const nextInit: RequestInit = keepsMethod
      ? { ...init, headers: nextHeaders }
      : { ...init, method: 'GET', headers: nextHeaders, body: null };
    if (!keepsMethod) delete (nextInit.headers as Record<string, string>)['content-type'];
    return send(next, nextInit, agentFor, redirects + 1);
  }
  return new NodeResponse(message) as unknown as Response;
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  // No `instanceof Headers`: touching that global loads undici.
  const iterable = Array.isArray(headers) || typeof (headers as { entries?: unknown }).entries === 'function';
  const entries: Iterable<[string, string]> = iterable
    ? (headers as Iterable<[string, string]>)
    : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) record[name.toLowerCase()] = value;
  return record;
}

/**
 * The part of a WHATWG `Response` that `fetchWithRetry` and this package read. A real `Response`
 * would load undici, the cost this transport exists to avoid.
 */
class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  private readonly message: IncomingMessage;
  private stream: ReadableStream<Uint8Array> | undefined;

  constructor(message: IncomingMessage) {
    this.message = message;
    this.status = message.statusCode ?? 0;
    this.statusText = message.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = {
      get: (name: string) => {
        const value = message.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  get body(): ReadableStream<Uint8Array> {
    this.stream ??= Readable.toWeb(this.message) as unknown as ReadableStream<Uint8Array>;
    return this.stream;
  }

  async text(): Promise<string> {
    const chunks: Uint8Array[] = [];
    if (this.stream) {
      const reader = this.stream.getReader();
      for (let part = await reader.read(); !part.done; part = await reader.read()) chunks.push(part.value);
    } else {
      for await (const chunk of this.message) chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}
