import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './answers.js';
import type { RequestAccounting, RequestRecord } from './request-accounting.js';
import type { RouteParams } from './route-table.js';
import type { TurnWriter } from './turn-writer.js';

const EMPTY = Buffer.alloc(0);

/**
 * One request and its answer, as a route sees it: the path parameters, the body (read by the
 * pipeline for routes that take one) and `send`, which writes the answer once and accounts for it.
 */
export class Exchange {
  /** The request body (routes with `readsBody`). */
  body: Buffer = EMPTY;
  /** True when `body` is a buffer of its own (several chunks joined), so it may be moved to a worker. */
  bodyIsCopy = false;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly record: RequestRecord,
    readonly params: RouteParams,
    private readonly accounting: RequestAccounting,
    private readonly writer: TurnWriter,
  ) {}

  /** Writes the answer (unless one was written) and counts the request as answered. */
  send(status: number, type: string, body: string | Uint8Array, headers?: readonly string[]): void {
    const { response } = this;
    if (!response.headersSent && !response.destroyed) {
      const length = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
      // The flat [name, value, …] form: node:http takes it without walking an object's keys.
      const head = type === '' ? ['content-length', length] : ['content-type', type, 'content-length', length];
      response.writeHead(status, headers === undefined ? head : [...headers, ...head]);
      // Alone in flight (one client, or a quiet moment) there is nothing to group with: answer now.
      if (this.accounting.inFlight > 1 || this.writer.pending > 0) this.writer.end(response, body);
      else response.end(body);
    }
    this.record.answered(status);
  }

  answer(answer: Answer): void {
    this.send(answer.status, answer.type, answer.body, answer.headers);
  }
}
