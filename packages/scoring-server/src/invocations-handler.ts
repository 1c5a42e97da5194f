import type { IncomingMessage, ServerResponse } from 'node:http';
import { negotiateContentType } from './content-type.js';
import { type ErrorReply, parseErrorReply, predictErrorReply } from './scoring-errors.js';
import { predictWithDeadline, type ServerContext, scoreWithDeadline } from './server-context.js';
import { TurnWriter } from './turn-writer.js';

const ROUTE = '/invocations';
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * `POST /invocations` on plain node:http, ahead of fastify's router. It is the one hot route: the
 * bench measured fastify's request pipeline (content-type parser, async hooks, reply pipeline) at
 * a large share of an iris request's CPU time, so this path reads the body, negotiates, predicts
 * and answers by hand. Every other route goes through fastify. Behaviour is the same as a fastify
 * route would give: body limit → 413, 503 while draining, metrics, MLflow error JSON.
 */
export function createInvocationsHandler(
  context: ServerContext,
  options: { bodyLimitBytes: number; isClosing(): boolean },
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { metrics } = context;
  // Series bound once: an observation on them does no label work.
  const countersByStatus = new Map<number, { inc(): void }>();
  const duration = metrics.requestDuration.labels({ route: ROUTE, method: 'POST' });
  // Answers are written in groups at the end of each event-loop turn (see turn-writer.ts).
  const writer = new TurnWriter((error) => context.logger.warn({ err: error }, 'writing an answer failed'));
  /** Requests of this route between their headers and their answer. */
  let active = 0;

  const finish = (
    response: ServerResponse,
    started: number,
    status: number,
    type: string,
    body: string | Uint8Array,
  ) => {
    if (!response.headersSent) {
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      // The flat [name, value, …] form: node:http takes it without walking an object's keys.
      response.writeHead(status, ['content-type', type, 'content-length', String(length)]);
      // Alone in flight (one client, or a quiet moment) there is nothing to group with: answer now.
      if (active > 1 || writer.pending > 0) writer.end(response, body);
      else response.end(body);
    }
    active--;
    let counter = countersByStatus.get(status);
    if (!counter) {
      counter = metrics.requests.labels({ route: ROUTE, method: 'POST', status: String(status) });
      countersByStatus.set(status, counter);
    }
    counter.inc();
    duration.observe((performance.now() - started) / 1000);
    metrics.inFlight.dec();
    context.countRequest();
  };

  const sendError = (response: ServerResponse, started: number, error: ErrorReply) =>
    finish(response, started, error.status, JSON_TYPE, JSON.stringify(error.body));

  const score = async (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    body: string,
    format: 'json' | 'csv',
  ) => {
    const slot = context.current();
    let parsed: ReturnType<typeof context.modelModule.parseScoringRequest>;
    try {
      parsed = context.modelModule.parseScoringRequest(body, format, slot.signature);
    } catch (error) {
      return sendError(response, started, parseErrorReply(error));
    }
    try {
      const outcome = await predictWithDeadline(context, slot, parsed.input, parsed.params);
      return finish(response, started, 200, JSON_TYPE, context.modelModule.predictionsToJSON(outcome.output));
    } catch (error) {
      const answer = predictErrorReply(error, parsed.input);
      if (answer.status >= 500 && answer.status !== 504) {
        context.logger.error({ err: error, url: request.url?.split('?')[0] }, 'prediction failed');
      }
      return sendError(response, started, answer);
    }
  };

  const scoreLarge = async (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    body: Uint8Array,
    format: 'json' | 'csv',
  ) => {
    try {
      const outcome = await scoreWithDeadline(context, context.current(), body, format);
      if (outcome.ok) return finish(response, started, 200, JSON_TYPE, outcome.json);
      if (outcome.phase === 'parse') return sendError(response, started, parseErrorReply(outcome.error));
      return sendError(response, started, predictErrorReply(outcome.error, outcome.inputDescription));
    } catch (error) {
      const answer = predictErrorReply(error, 'input');
      if (answer.status >= 500 && answer.status !== 504) {
        context.logger.error({ err: error, url: request.url?.split('?')[0] }, 'prediction failed');
      }
      return sendError(response, started, answer);
    }
  };

  return (request, response) => {
    const url = request.url ?? '';
    if (request.method !== 'POST' || !(url === ROUTE || url.startsWith(`${ROUTE}?`))) return false;
    const started = performance.now();
    metrics.inFlight.inc();
    active++;
    if (options.isClosing()) {
      response.setHeader('connection', 'close');
      request.resume();
      sendError(response, started, {
        status: 503,
        body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The server is shutting down' },
      });
      return true;
    }
    const decision = negotiateContentType(request.headers['content-type']);
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > options.bodyLimitBytes) {
      refuseTooLarge(request, response, started);
      return true;
    }
    // Small bodies arrive in one chunk: keep it alone, make a list only for a second one.
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > options.bodyLimitBytes) {
        refused = true;
        refuseTooLarge(request, response, started);
        return;
      }
      if (first === undefined) first = chunk;
      else if (chunks === undefined) chunks = [first, chunk];
      else chunks.push(chunk);
    });
    let ended = false;
    request.on('end', () => {
      ended = true;
      if (refused) return;
      if (!decision.ok) return finish(response, started, decision.status, TEXT_TYPE, decision.message);
      // Large bodies go to a worker undecoded (moved, not copied): decoding, parsing and serializing
      // them would hold the event loop for tens of milliseconds.
      const bytes = chunks !== undefined ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0));
      const work = context.current().runner.prefersWorkerFor(size)
        ? scoreLarge(request, response, started, chunks !== undefined ? bytes : Buffer.from(bytes), decision.format)
        : score(request, response, started, bytes.toString('utf8'), decision.format);
      void work.catch((error: unknown) => {
        context.logger.error({ err: error }, 'request failed');
        sendError(response, started, {
          status: 500,
          body: { error_code: 'INTERNAL_ERROR', message: 'Internal server error' },
        });
      });
    });
    request.on('error', () => {
      if (!response.headersSent) response.destroy();
      // The client went away before its body was complete: no answer will follow, so this request
      // leaves the in-flight count here (it is not counted as answered).
      if (!ended && !refused) {
        active--;
        metrics.inFlight.dec();
      }
    });
    return true;
  };

  function refuseTooLarge(request: IncomingMessage, response: ServerResponse, started: number) {
    // The rest of the body is not read: close the connection after answering.
    response.setHeader('connection', 'close');
    sendError(response, started, {
      status: 413,
      body: {
        error_code: 'RESOURCE_EXHAUSTED',
        message: `Request body is too large: the limit is ${options.bodyLimitBytes} bytes (--body-limit)`,
      },
    });
    request.resume();
  }
}
