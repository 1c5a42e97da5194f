import { connect, type Socket } from 'node:net';
import { chunkedBodyEnd, parseResponseHead, type ResponseHead } from './raw-http-head.js';

/**
 * Keep-alive HTTP/1.1 connections to deployments, with requests pipelined on them: the requests that
 * arrive in one event-loop turn leave in one write per connection, and the answers that come back
 * together are read together. bench/server measured the server's CPU per proxied request at about a
 * third of a node:http server + http.request proxy's, and the deployment's own CPU per request lower
 * too (fewer, larger reads and writes). Answers are relayed as raw bytes, untouched.
 */

export interface UpstreamCall {
  /** The request head (blank line included) and its body, written together. */
  head: Buffer;
  body: Buffer;
  onHead(head: ResponseHead): void;
  /** Bytes of the answer, head included, in order; `last` on the final piece. */
  onBytes(bytes: Buffer, last: boolean): void;
  /**
   * Failed before any byte of the answer: `unreachable` when no connection could be made (the
   * deployment moved or stopped), `broken` when the connection died, `timeout` when it went silent.
   */
  onFail(reason: 'unreachable' | 'broken' | 'timeout', error: unknown): void;
  /** Failed after part of the answer went out: the caller can only cut its own connection. */
  onAbort(error: unknown): void;
}

export interface UpstreamPipelineOptions {
  /** Requests in flight on one connection before another is opened (1 = no pipelining). */
  pipelineDepth: number;
  /** Connections per deployment address. */
  maxConnections: number;
  /** A connection with requests in flight and no traffic for this long is given up. */
  silenceTimeoutMs: number;
}

interface Pending {
  call: UpstreamCall;
  attempts: number;
  /** Bytes of the answer handed on so far. */
  delivered: number;
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

class PipelinedConnection {
  readonly socket: Socket;
  readonly pending: Pending[] = [];
  private connected = false;
  private usable = true;
  private buffer: Buffer | undefined;
  private head: ResponseHead | undefined;
  /** Body bytes of the current answer still to come (length framing). */
  private remaining = 0;
  private corked = false;

  constructor(
    private readonly pool: OriginPool,
    host: string,
    port: number,
    silenceTimeoutMs: number,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.once('connect', () => {
      this.connected = true;
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.setTimeout(silenceTimeoutMs, () => {
      if (this.pending.length > 0) this.fail('timeout', new Error(`no answer for ${silenceTimeoutMs} ms`));
      else this.socket.destroy();
    });
    this.socket.once('error', (error: NodeJS.ErrnoException) =>
      this.fail(this.connected ? 'broken' : 'unreachable', error),
    );
    this.socket.once('close', () => this.fail('broken', new Error('the deployment closed the connection')));
  }

  get accepting(): boolean {
    return this.usable && !this.socket.destroyed;
  }

  send(pending: Pending): void {
    this.pending.push(pending);
    // Everything written in this turn leaves in one writev at its end; a request alone in flight
    // has nothing to wait for and goes at once (the c=1 latency).
    if (!this.corked && this.pending.length > 1) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(pending.call.head);
    if (pending.call.body.length > 0) this.socket.write(pending.call.body);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      while (this.buffer !== undefined && this.buffer.length > 0) {
        if (!this.deliverSome()) break;
      }
    } catch (error) {
      this.socket.destroy(error as Error);
    }
  }

  /** Hands on what the buffer holds of the current answer; false when it needs more bytes. */
  private deliverSome(): boolean {
    const buffer = this.buffer as Buffer;
    const current = this.pending[0];
    if (current === undefined) throw new Error('the deployment sent bytes nobody asked for');
    if (this.head === undefined) {
      const head = parseResponseHead(buffer, 0);
      if (head === undefined) return false;
      if (head.status < 200) {
        // An interim answer (100 Continue): not for the client, which never asked for it.
        this.buffer = buffer.length > head.headBytes ? buffer.subarray(head.headBytes) : undefined;
        return true;
      }
      this.head = head;
      current.call.onHead(head);
      if (head.framing.kind === 'length') this.remaining = head.framing.length + head.headBytes;
    }
    const framing = this.head.framing;
    if (framing.kind === 'length') {
      const take = Math.min(this.remaining, buffer.length);
      this.remaining -= take;
      this.hand(current, buffer, take, this.remaining === 0);
      return this.remaining === 0;
    }
    if (framing.kind === 'chunked') {
      // Chunked answers (never from a Berth scoring server's /invocations) are relayed whole.
      const end = chunkedBodyEnd(buffer, this.head.headBytes);
      if (end === undefined) return false;
      this.hand(current, buffer, end, true);
      return true;
    }
    // Until the connection closes: everything is this answer's.
    this.hand(current, buffer, buffer.length, false);
    return false;
  }

  private hand(current: Pending, buffer: Buffer, length: number, last: boolean): void {
    const piece = length === buffer.length ? buffer : buffer.subarray(0, length);
    this.buffer = length === buffer.length ? undefined : buffer.subarray(length);
    current.delivered += length;
    if (last) {
      this.pending.shift();
      const close = this.head?.close === true;
      this.head = undefined;
      current.call.onBytes(piece, true);
      if (close) {
        // What was pipelined behind it gets no answer here: it goes out again on another connection.
        this.usable = false;
        this.socket.end();
      }
    } else {
      current.call.onBytes(piece, false);
    }
  }

  private fail(reason: 'unreachable' | 'broken' | 'timeout', error: unknown): void {
    this.usable = false;
    this.pool.forget(this);
    const pending = this.pending.splice(0);
    const head = this.head;
    this.head = undefined;
    this.socket.destroy();
    for (const entry of pending) {
      if (entry.delivered > 0) {
        // An answer read until the connection closed ends here; any other is cut short.
        if (head?.framing.kind === 'close' && entry === pending[0]) entry.call.onBytes(Buffer.alloc(0), true);
        else entry.call.onAbort(error);
      } else if (reason === 'unreachable') {
        entry.call.onFail('unreachable', error);
      } else if (reason !== 'timeout' && entry.attempts < 2 && isRetryable(error)) {
        // Predictions have no side effects: one more try on a fresh connection is safe.
        this.pool.dispatch({ ...entry, attempts: entry.attempts + 1 });
      } else {
        entry.call.onFail(reason, error);
      }
    }
  }
}

function isRetryable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined || RETRYABLE.has(code);
}

class OriginPool {
  readonly connections = new Set<PipelinedConnection>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly options: UpstreamPipelineOptions,
  ) {}

  dispatch(pending: Pending): void {
    let best: PipelinedConnection | undefined;
    for (const connection of this.connections) {
      if (!connection.accepting) continue;
      if (best === undefined || connection.pending.length < best.pending.length) best = connection;
    }
    if (
      best === undefined ||
      (best.pending.length >= this.options.pipelineDepth && this.connections.size < this.options.maxConnections)
    ) {
      best = new PipelinedConnection(this, this.host, this.port, this.options.silenceTimeoutMs);
      this.connections.add(best);
    }
    best.send(pending);
  }

  forget(connection: PipelinedConnection): void {
    this.connections.delete(connection);
  }

  destroy(): void {
    for (const connection of this.connections) connection.socket.destroy();
    this.connections.clear();
  }
}

/** Pipelined connection pools, one per deployment address (`host:port`). */
export class UpstreamPipeline {
  private readonly origins = new Map<string, OriginPool>();

  constructor(private readonly options: UpstreamPipelineOptions) {}

  send(host: string, port: number, call: UpstreamCall): void {
    const key = `${host}:${port}`;
    let origin = this.origins.get(key);
    if (!origin) {
      origin = new OriginPool(host, port, this.options);
      this.origins.set(key, origin);
    }
    origin.dispatch({ call, attempts: 1, delivered: 0 });
  }

  close(): void {
    for (const origin of this.origins.values()) origin.destroy();
    this.origins.clear();
  }
}
