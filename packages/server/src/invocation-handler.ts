import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { BerthError, type PredictionInput } from '@berth/core';
import type { EndpointCatalog, InvocationTarget } from './endpoint-catalog.js';
import { type ErrorReply, errorReply } from './error-reply.js';
import type { ServedTarget } from './served-target.js';
import type { InvocationMode, ServerMetrics } from './server-metrics.js';
import { streamPredictions } from './sse-stream.js';

export interface InvocationOptions {
  target: ServedTarget;
  catalog: EndpointCatalog;
  metrics: ServerMetrics;
  bodyLimitBytes: number;
  /** Longest a proxied request may take before the server gives up on the deployment. */
  upstreamTimeoutMs?: number;
  onError?: (error: unknown, name: string) => void;
}

export type InvocationHandler = ((
  request: IncomingMessage,
  response: ServerResponse,
  name: string,
) => Promise<void>) & {
  close(): void;
};

const STREAM_MARKER = Buffer.from('"stream"');
/** Answer headers passed back from the deployment; everything else (hop-by-hop, server's own) is not. */
const PASSED_BACK = ['content-type', 'content-encoding', 'retry-after'] as const;
const RETRYABLE_CONNECT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * `POST /endpoints/{name}/invocations`. When the name resolves to a deployment (or endpoint) with a
 * loopback `url`, the request bytes go to `{url}/invocations` unparsed and the answer comes back
 * unparsed: the server adds a socket hop, not a JSON round trip. Otherwise the body is parsed and given
 * to the target's `predict`. A top-level `"stream": true` turns the answer into SSE (`predictStream`).
 */
export function createInvocationHandler(options: InvocationOptions): InvocationHandler {
  const { target, catalog, metrics } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' });
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 10 * 60_000;
  const counters: Record<InvocationMode, { inc(): void }> = {
    proxy: metrics.invocations.bind({ mode: 'proxy' }),
    predict: metrics.invocations.bind({ mode: 'predict' }),
    stream: metrics.invocations.bind({ mode: 'stream' }),
  };

  const handler = async (request: IncomingMessage, response: ServerResponse, name: string) => {
    const body = await readBody(request, response, options.bodyLimitBytes);
    if (body === undefined) return;
    const contentType = request.headers['content-type'];
    try {
      const streamed = streamRequest(body, contentType);
      if (streamed) {
        counters.stream.inc();
        await answerStream(response, name, streamed);
        return;
      }
      let resolved = await catalog.resolve(name);
      if (resolved.proxyUrl) {
        counters.proxy.inc();
        const outcome = await forward(request, response, resolved, body, contentType);
        if (outcome !== 'unreachable') return;
        // The deployment moved (an update restarted it on a new port) or stopped: look again, once.
        catalog.invalidate(name);
        resolved = await catalog.resolve(name);
        if (resolved.proxyUrl && (await forward(request, response, resolved, body, contentType)) !== 'unreachable')
          return;
        throw new BerthError(`The deployment behind '${name}' does not answer at its address.`, {
          code: 'TEMPORARILY_UNAVAILABLE',
          suggestions: [`Check it with 'berth get -t ${target.uri} --name ${name}'.`],
        });
      }
      counters.predict.inc();
      await answerPredict(response, resolved, body, contentType);
    } catch (error) {
      options.onError?.(error, name);
      sendError(response, invocationErrorReply(error));
    }
  };

  async function answerStream(response: ServerResponse, name: string, inputs: Record<string, unknown>) {
    // Streaming goes through the target (the deployment's own scoring server has no stream route).
    const resolved = await catalog.resolve(name);
    const chunks =
      resolved.kind === 'endpoint'
        ? target.client.predictStream(undefined, inputs, { endpoint: name })
        : target.client.predictStream(name, inputs);
    await streamPredictions(response, chunks, (reply) => sendError(response, reply));
  }

  async function answerPredict(
    response: ServerResponse,
    resolved: InvocationTarget,
    body: Buffer,
    contentType: string | undefined,
  ) {
    const inputs = parseInputs(body, contentType);
    const answer =
      resolved.kind === 'endpoint'
        ? await target.client.predict(undefined, inputs, { endpoint: resolved.name })
        : await target.client.predict(resolved.name, inputs);
    const json = JSON.stringify(typeof answer?.toJSON === 'function' ? answer.toJSON() : answer);
    response.writeHead(200, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(json))]);
    response.end(json);
  }

  /** Streams the request to the deployment and its answer back; 'unreachable' when no connection was made. */
  function forward(
    request: IncomingMessage,
    response: ServerResponse,
    resolved: InvocationTarget,
    body: Buffer,
    contentType: string | undefined,
  ): Promise<'answered' | 'unreachable'> {
    const url = resolved.proxyUrl as URL;
    const path = `${url.pathname.replace(/\/+$/, '')}/invocations${url.search}`;
    const headers: Record<string, string> = { 'content-length': String(body.byteLength) };
    if (contentType !== undefined) headers['content-type'] = contentType;
    const accept = request.headers.accept;
    if (accept !== undefined) headers.accept = accept;
    return new Promise((resolve, reject) => {
      let settled = false;
      const upstream = httpRequest({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 80,
        path,
        method: 'POST',
        headers,
        agent,
        timeout: upstreamTimeoutMs,
      });
      const abandon = () => {
        if (!response.writableFinished) upstream.destroy();
      };
      response.once('close', abandon);
      upstream.on('response', (answer) => {
        settled = true;
        const passed: string[] = [];
        for (const header of PASSED_BACK) {
          const value = answer.headers[header];
          if (typeof value === 'string') passed.push(header, value);
        }
        const length = answer.headers['content-length'];
        if (typeof length === 'string') passed.push('content-length', length);
        response.writeHead(answer.statusCode ?? 502, passed);
        answer.pipe(response);
        answer.once('end', () => resolve('answered'));
        answer.once('error', () => {
          response.destroy();
          resolve('answered');
        });
        answer.once('aborted', () => {
          response.destroy();
          resolve('answered');
        });
      });
      upstream.on('timeout', () => {
        upstream.destroy(
          new BerthError(`The deployment behind '${resolved.name}' did not answer within ${upstreamTimeoutMs} ms.`, {
            code: 'DEADLINE_EXCEEDED',
          }),
        );
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        response.off('close', abandon);
        if (settled) return;
        settled = true;
        if (response.destroyed) return resolve('answered');
        if (error.code && RETRYABLE_CONNECT.has(error.code)) return resolve('unreachable');
        reject(error);
      });
      upstream.end(body);
    });
  }

  handler.close = () => agent.destroy();
  return handler as InvocationHandler;
}

/** Reads the whole body (up to the limit); answers 413 itself and returns undefined when it is larger. */
export function readBody(
  request: IncomingMessage,
  response: ServerResponse,
  limitBytes: number,
): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    tooLarge(response, limitBytes);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limitBytes) {
        done = true;
        tooLarge(response, limitBytes);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    const gone = () => {
      if (done) return;
      done = true;
      resolve(undefined);
    };
    request.once('error', gone);
    request.once('aborted', gone);
  });
}

function tooLarge(response: ServerResponse, limitBytes: number): void {
  const reply = errorReply(
    BerthError.invalidParameterValue(`The request body is larger than the server's limit of ${limitBytes} bytes.`, {
      suggestions: ['Send fewer rows per request, or start the server with a larger --body-limit.'],
    }),
    413,
  );
  // The rest of the body is not read: close the connection after this answer.
  response.shouldKeepAlive = false;
  sendError(response, reply);
}

export function sendError(response: ServerResponse, reply: ErrorReply): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const json = JSON.stringify(reply.body);
  response.writeHead(reply.status, [
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(json)),
  ]);
  response.end(json);
}

/** A 415, as MLflow's scoring server answers a body it cannot read. */
class UnsupportedContentType extends BerthError {
  constructor(contentType: string | undefined) {
    super(
      `Content type ${contentType === undefined ? '(none)' : `'${contentType}'`} is not supported; send application/json or text/csv.`,
      { code: 'BAD_REQUEST' },
    );
  }
}

function invocationErrorReply(error: unknown): ErrorReply {
  return errorReply(error, error instanceof UnsupportedContentType ? 415 : undefined);
}

function isJson(contentType: string | undefined): boolean {
  return contentType === undefined || /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType);
}

/** The inputs of a `"stream": true` request, or undefined; looks for the key's bytes before parsing. */
function streamRequest(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  if (!isJson(contentType) || body.indexOf(STREAM_MARKER) < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined; // the deployment (or predict) reports the malformed JSON in its own words
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { stream, ...inputs } = parsed as Record<string, unknown>;
  return stream === true ? inputs : undefined;
}

/** A body for the target's `predict`: JSON as an object, CSV as `{csv}`. */
function parseInputs(body: Buffer, contentType: string | undefined): PredictionInput {
  if (contentType !== undefined && /^text\/csv\b/i.test(contentType)) return { csv: body.toString('utf8') };
  if (contentType === undefined || !isJson(contentType)) {
    throw new UnsupportedContentType(contentType);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw BerthError.invalidParameterValue(
      `Invalid input. The request body is not valid JSON: ${(cause as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw BerthError.invalidParameterValue('Invalid input. The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
