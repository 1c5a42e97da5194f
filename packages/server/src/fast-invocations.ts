import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { BerthError } from '@berth/core';
import { type AccessTokens, decide, type Grant } from './access-tokens.js';
import type { EndpointCatalog, InvocationTarget } from './endpoint-catalog.js';
import { errorJson, errorReply } from './error-reply.js';
import { parseRequestHead, type RequestHead } from './raw-http-head.js';
import type { ServerMetrics } from './server-metrics.js';
import { type UpstreamCall, UpstreamPipeline } from './upstream-pipeline.js';

/**
 * The invocation fast path: connections are read by hand until a request is not a plain
 * `POST /endpoints/{name}/invocations` to a deployment with a loopback address; such a connection
 * (from that request on) goes to node:http, which serves everything else. On the fast path a
 * request costs a head parse, a token check and a cached lookup, and its bytes are pipelined to the
 * deployment (upstream-pipeline.ts) and its answer's bytes relayed back unchanged.
 */

export interface FastInvocationOptions {
  tokens: AccessTokens;
  catalog: EndpointCatalog;
  metrics: ServerMetrics;
  /** Bodies up to this size are taken on the fast path; larger ones go to node:http. */
  fastBodyLimitBytes: number;
  /** The server's body limit (413 above it). */
  bodyLimitBytes: number;
  isClosing(): boolean;
  /** Gives a connection to node:http; `pending` are the bytes already read from it. */
  handOver(socket: Socket, pending: Buffer | undefined): void;
  idleTimeoutMs: number;
  pipelineDepth?: number;
}

const ROUTE = '/endpoints/:name/invocations';

interface ForwardPlan {
  host: string;
  port: number;
  /** The request line and host header. */
  headStart: string;
}
const STREAM_MARKER = Buffer.from('"stream"');

function invocationName(target: string): string | undefined {
  const query = target.indexOf('?');
  const path = query < 0 ? target : target.slice(0, query);
  const prefix = path.startsWith('/endpoints/') ? 11 : path.startsWith('/gateway/') ? 9 : -1;
  if (prefix < 0 || !path.endsWith('/invocations')) return undefined;
  const segment = path.slice(prefix, path.length - 12);
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function jsonAnswer(status: number, body: unknown, close: boolean, extra = ''): Buffer {
  const json = JSON.stringify(body);
  return Buffer.from(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n${extra}connection: ${close ? 'close' : 'keep-alive'}\r\n\r\n${json}`,
  );
}

export class FastInvocations {
  private readonly pipeline: UpstreamPipeline;
  private readonly connections = new Set<FastConnection>();
  private readonly proxyCounter: { inc(): void };
  private readonly plans = new WeakMap<InvocationTarget, ForwardPlan>();
  /** Counts one answered invocation (same series as node:http's invocation route). */
  readonly record: (status: number, seconds: number) => void;

  constructor(readonly options: FastInvocationOptions) {
    this.pipeline = new UpstreamPipeline({
      pipelineDepth: options.pipelineDepth ?? 8,
      maxConnections: 64,
      silenceTimeoutMs: 10 * 60_000,
    });
    this.proxyCounter = options.metrics.invocations.bind({ mode: 'proxy' });
    this.record = options.metrics.recorder(ROUTE, 'POST');
  }

  /** Takes a new connection. */
  accept(socket: Socket): void {
    const connection = new FastConnection(this, socket);
    this.connections.add(connection);
  }

  release(connection: FastConnection): void {
    this.connections.delete(connection);
  }

  /** Closes idle fast connections now and busy ones after their answer; drops deployment connections. */
  close(): void {
    for (const connection of this.connections) connection.closeWhenIdle();
  }

  /** Drops the connections to deployments (after the server stopped taking requests). */
  closePipeline(): void {
    this.pipeline.close();
  }

  /** How to address a deployment, worked out once per lookup (the catalog reuses its answer for 2 s). */
  planFor(resolved: InvocationTarget): ForwardPlan {
    let plan = this.plans.get(resolved);
    if (!plan) {
      const url = resolved.proxyUrl as URL;
      const path = `${url.pathname.replace(/\/+$/, '')}/invocations${url.search}`;
      plan = {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 80),
        headStart: `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n`,
      };
      this.plans.set(resolved, plan);
    }
    return plan;
  }

  send(host: string, port: number, call: UpstreamCall): void {
    this.proxyCounter.inc();
    this.pipeline.send(host, port, call);
  }
}

class FastConnection {
  private buffer: Buffer | undefined;
  /**
   * The last header this connection proved a token with, and its grant: a client repeats the same
   * header on every request, so the hash is computed once per connection. Only a header that was
   * granted is kept, so a connection without a valid token always pays the full constant-time check.
   */
  private knownHeader: string | undefined;
  private knownGrant: Grant | undefined;
  private busy = false;
  private closing = false;
  private done = false;
  private readonly onData = (chunk: Buffer) => {
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.busy) this.next();
    // A client that sends far ahead of its answers waits for them (TCP backpressure).
    else if (this.buffer.length > this.owner.options.fastBodyLimitBytes * 2) this.socket.pause();
  };
  private readonly onEnd = () => {
    // The client will send nothing more: finish the answer in progress, then close.
    this.closing = true;
    if (!this.busy) this.finish();
  };
  private readonly onError = () => this.finish();
  private readonly onClose = () => this.finish();

  constructor(
    private readonly owner: FastInvocations,
    private readonly socket: Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.setTimeout(owner.options.idleTimeoutMs, () => {
      if (!this.busy) socket.destroy();
    });
  }

  private grantOf(header: string | undefined): Grant | undefined {
    if (header !== undefined && header === this.knownHeader) return this.knownGrant;
    const grant = this.owner.options.tokens.grantOf(header);
    if (grant !== undefined) {
      this.knownHeader = header;
      this.knownGrant = grant;
    }
    return grant;
  }

  closeWhenIdle(): void {
    this.closing = true;
    if (!this.busy) this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.owner.release(this);
    if (!this.socket.destroyed) this.socket.end();
  }

  private detach(): void {
    this.done = true;
    this.owner.release(this);
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    this.socket.setTimeout(0);
  }

  private handOver(pending: Buffer | undefined): void {
    this.detach();
    this.owner.options.handOver(this.socket, pending);
  }

  /** Reads the next request from the buffer, if a whole one is there. */
  private next(): void {
    if (this.done || this.buffer === undefined || this.buffer.length === 0) {
      if (this.closing) this.finish();
      return;
    }
    const head = parseRequestHead(this.buffer);
    if (head === 'incomplete') return;
    if (head === 'unsupported') {
      this.handOver(this.buffer);
      return;
    }
    const name = head.method === 'POST' ? invocationName(head.target) : undefined;
    const options = this.owner.options;
    if (name === undefined || head.contentLength > options.fastBodyLimitBytes) {
      this.handOver(this.buffer);
      return;
    }
    const total = head.headBytes + head.contentLength;
    if (this.buffer.length < total) return;
    const request = this.buffer.length === total ? this.buffer : this.buffer.subarray(0, total);
    this.buffer = this.buffer.length === total ? undefined : this.buffer.subarray(total);
    this.busy = true;
    this.serve(head, name, request).catch((error: unknown) => {
      const reply = errorReply(error);
      this.answer(reply.status, reply.body, head.close, performance.now());
    });
  }

  private async serve(head: RequestHead, name: string, request: Buffer): Promise<void> {
    const started = performance.now();
    const options = this.owner.options;
    const auth = decide(this.grantOf(head.authorization), 'read');
    if (!auth.ok) {
      const extra = auth.status === 401 ? 'www-authenticate: Bearer realm="berth"\r\n' : '';
      return this.answer(auth.status, errorJson(auth.code, auth.message), head.close, started, extra);
    }
    if (options.isClosing()) {
      return this.answer(503, errorJson('TEMPORARILY_UNAVAILABLE', 'The server is shutting down.'), true, started);
    }
    const body = request.subarray(head.headBytes);
    // Streams and targets without a loopback address are node:http's (the request is read again there).
    if (body.indexOf(STREAM_MARKER) >= 0) return this.giveBack(request);
    let resolved: InvocationTarget;
    try {
      resolved = await options.catalog.resolve(name);
    } catch (error) {
      const reply = errorReply(error);
      return this.answer(reply.status, reply.body, head.close, started);
    }
    if (!resolved.proxyUrl) return this.giveBack(request);
    this.forward(head, name, resolved, body, started, true);
  }

  /** Gives the connection to node:http from this request on: nothing of it has been answered. */
  private giveBack(request: Buffer): void {
    const rest = this.buffer;
    this.buffer = undefined;
    this.handOver(rest === undefined ? request : Buffer.concat([request, rest]));
  }

  private forward(
    head: RequestHead,
    name: string,
    resolved: InvocationTarget,
    body: Buffer,
    started: number,
    firstTry: boolean,
  ): void {
    const plan = this.owner.planFor(resolved);
    let text = `${plan.headStart}content-length: ${body.length}\r\n`;
    if (head.contentType !== undefined) text += `content-type: ${head.contentType}\r\n`;
    if (head.accept !== undefined) text += `accept: ${head.accept}\r\n`;
    const upstreamHead = Buffer.from(`${text}\r\n`, 'latin1');
    let status = 502;
    let closeAfter = head.close;
    const call: UpstreamCall = {
      head: upstreamHead,
      body,
      onHead: (answer) => {
        status = answer.status;
        closeAfter ||= answer.close;
      },
      onBytes: (piece, last) => {
        if (!this.socket.destroyed && piece.length > 0) this.socket.write(piece);
        if (last) this.complete(status, closeAfter, started);
      },
      onFail: (reason, error) => {
        if (reason === 'unreachable' && firstTry) {
          // The deployment moved (an update restarted it elsewhere) or stopped: look again, once.
          this.owner.options.catalog.invalidate(name);
          this.owner.options.catalog.resolve(name).then(
            (again) => {
              if (again.proxyUrl) this.forward(head, name, again, body, started, false);
              else this.answerUnavailable(name, head, started, error);
            },
            (lookupError: unknown) => {
              const reply = errorReply(lookupError);
              this.answer(reply.status, reply.body, head.close, started);
            },
          );
          return;
        }
        if (reason === 'timeout') {
          return this.answer(
            504,
            errorJson('DEADLINE_EXCEEDED', `The deployment behind '${name}' did not answer in time.`),
            head.close,
            started,
          );
        }
        this.answerUnavailable(name, head, started, error);
      },
      onAbort: () => {
        this.owner.record(499, (performance.now() - started) / 1000);
        this.socket.destroy();
      },
    };
    this.owner.send(plan.host, plan.port, call);
  }

  private answerUnavailable(name: string, head: RequestHead, started: number, error: unknown): void {
    const reply = errorReply(
      new BerthError(
        `The deployment behind '${name}' does not answer at its address (${(error as Error)?.message ?? error}).`,
        {
          code: 'TEMPORARILY_UNAVAILABLE',
          suggestions: [`Check it with 'berth get --name ${name}' against this server's target.`],
        },
      ),
    );
    this.answer(reply.status, reply.body, head.close, started);
  }

  private answer(status: number, body: unknown, close: boolean, started: number, extra = ''): void {
    if (!this.socket.destroyed) this.socket.write(jsonAnswer(status, body, close || this.closing, extra));
    this.complete(status, close, started);
  }

  /** One request is answered: count it, then read the next one (or close). */
  private complete(status: number, close: boolean, started: number): void {
    this.owner.record(status, (performance.now() - started) / 1000);
    this.busy = false;
    if (this.socket.isPaused()) this.socket.resume();
    if (close || this.closing || this.socket.destroyed) {
      this.closing = true;
      this.finish();
      return;
    }
    this.next();
  }
}
