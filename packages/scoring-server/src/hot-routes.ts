import type { IncomingMessage, ServerResponse } from 'node:http';
import { negotiateContentType } from './content-type.js';
import type { OipInfer } from './open-inference-routes.js';
import {
  type ErrorReply,
  errorReplyJson,
  parseErrorReply,
  predictErrorReply,
  UNAUTHENTICATED_MESSAGE,
} from './scoring-errors.js';
import { predictWithDeadline, type ServerContext, scoreWithDeadline } from './server-context.js';
import { TurnWriter } from './turn-writer.js';

const JSON_TYPE = 'application/json';
// What fastify sent for the OIP routes before they moved here.
const OIP_JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** A request for one of the two hot routes; `route` is the metrics label (fastify's route template). */
type HotRoute =
  | { protocol: 'mlflow'; route: string }
  | { protocol: 'oip'; route: string; name: string; version: string | undefined };

const MLFLOW_ROUTE: HotRoute = { protocol: 'mlflow', route: '/invocations' };
const OIP_PREFIX = '/v2/models/';
const OIP_SUFFIX = '/infer';

/**
 * `POST /invocations` and `POST /v2/models/{name}[/versions/{version}]/infer`, or undefined for
 * every other request (fastify serves those). Names are percent-decoded as fastify's router does;
 * a name that does not decode is left to fastify.
 */
function matchHotRoute(method: string | undefined, url: string): HotRoute | undefined {
  if (method !== 'POST') return undefined;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path === '/invocations') return MLFLOW_ROUTE;
  if (path.length < OIP_PREFIX.length + OIP_SUFFIX.length) return undefined;
  if (!path.startsWith(OIP_PREFIX) || !path.endsWith(OIP_SUFFIX)) return undefined;
  const parts = path.slice(OIP_PREFIX.length, path.length - OIP_SUFFIX.length).split('/');
  try {
    if (parts.length === 1) {
      return {
        protocol: 'oip',
        route: '/v2/models/:name/infer',
        name: decodeURIComponent(parts[0] as string),
        version: undefined,
      };
    }
    if (parts.length === 3 && parts[1] === 'versions') {
      return {
        protocol: 'oip',
        route: '/v2/models/:name/versions/:version/infer',
        name: decodeURIComponent(parts[0] as string),
        version: decodeURIComponent(parts[2] as string),
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** An error in the route's protocol: MLflow's `{error_code, message}` or OIP's `{error}`. */
function jsonTypeOf(route: HotRoute): string {
  return route.protocol === 'oip' ? OIP_JSON_TYPE : JSON_TYPE;
}

function errorJson(route: HotRoute, code: string, message: string): string {
  return route.protocol === 'oip' ? JSON.stringify({ error: message }) : JSON.stringify({ error_code: code, message });
}

/**
 * The prediction routes on plain node:http, ahead of fastify's router. They are the hot routes:
 * the bench measured fastify's request pipeline (content-type parser, async hooks, reply pipeline)
 * at a large share of an iris request's CPU time, so these read the body, negotiate, predict and
 * answer by hand, and write their answers in groups per event-loop turn (turn-writer.ts). Every
 * other route goes through fastify. Behaviour is what the fastify routes gave: body limit → 413,
 * 503 while draining, metrics labelled with the route template, each protocol's error JSON.
 */
export function createHotRoutesHandler(
  context: ServerContext,
  options: { bodyLimitBytes: number; isClosing(): boolean; oipInfer: OipInfer },
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { metrics } = context;
  // Series bound once per route and status: an observation on them does no label work.
  const series = new Map<
    string,
    { counters: Map<number, { inc(): void }>; duration: { observe(value: number): void } }
  >();
  const seriesOf = (route: string) => {
    let found = series.get(route);
    if (found === undefined) {
      found = { counters: new Map(), duration: metrics.requestDuration.labels({ route, method: 'POST' }) };
      series.set(route, found);
    }
    return found;
  };
  // Answers are written in groups at the end of each event-loop turn (see turn-writer.ts).
  const writer = new TurnWriter((error) => context.logger.warn({ err: error }, 'writing an answer failed'));
  /** Requests of this route between their headers and their answer. */
  let active = 0;

  const finish = (
    route: HotRoute,
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
    const { counters, duration } = seriesOf(route.route);
    let counter = counters.get(status);
    if (!counter) {
      counter = metrics.requests.labels({ route: route.route, method: 'POST', status: String(status) });
      counters.set(status, counter);
    }
    counter.inc();
    duration.observe((performance.now() - started) / 1000);
    metrics.inFlight.dec();
    context.countRequest();
  };

  const sendError = (response: ServerResponse, started: number, error: ErrorReply) =>
    finish(MLFLOW_ROUTE, response, started, error.status, JSON_TYPE, errorReplyJson(error, context.stackTraces));

  const score = async (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    body: Uint8Array,
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
      return finish(
        MLFLOW_ROUTE,
        response,
        started,
        200,
        JSON_TYPE,
        context.modelModule.predictionsToJSON(outcome.output),
      );
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
      if (outcome.ok) return finish(MLFLOW_ROUTE, response, started, 200, JSON_TYPE, outcome.json);
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

  const scoreOip = async (
    route: Extract<HotRoute, { protocol: 'oip' }>,
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    body: string,
  ) => {
    const answer = await options.oipInfer(body, request.headers['content-type'], route.name, route.version);
    finish(route, response, started, answer.status, OIP_JSON_TYPE, answer.body);
  };

  return (request, response) => {
    const route = matchHotRoute(request.method, request.url ?? '');
    if (route === undefined) return false;
    const started = performance.now();
    metrics.inFlight.inc();
    active++;
    if (context.authorized && !context.authorized(request.headers.authorization)) {
      request.resume();
      response.setHeader('www-authenticate', 'Bearer');
      finish(
        route,
        response,
        started,
        401,
        jsonTypeOf(route),
        errorJson(route, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE),
      );
      return true;
    }
    if (options.isClosing()) {
      response.setHeader('connection', 'close');
      request.resume();
      const message = 'The server is shutting down';
      finish(route, response, started, 503, jsonTypeOf(route), errorJson(route, 'TEMPORARILY_UNAVAILABLE', message));
      return true;
    }
    const decision = route.protocol === 'mlflow' ? negotiateContentType(request.headers['content-type']) : undefined;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > options.bodyLimitBytes) {
      refuseTooLarge(route, request, response, started);
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
        refuseTooLarge(route, request, response, started);
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
      const bytes = chunks !== undefined ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0));
      let work: Promise<void>;
      if (decision === undefined) {
        work = scoreOip(
          route as Extract<HotRoute, { protocol: 'oip' }>,
          request,
          response,
          started,
          bytes.toString('utf8'),
        );
      } else if (!decision.ok) {
        return finish(route, response, started, decision.status, TEXT_TYPE, decision.message);
      } else if (context.current().runner.prefersWorkerFor(size)) {
        // Large bodies go to a worker undecoded (moved, not copied): decoding, parsing and
        // serializing them would hold the event loop for tens of milliseconds.
        work = scoreLarge(
          request,
          response,
          started,
          chunks !== undefined ? bytes : Buffer.from(bytes),
          decision.format,
        );
      } else {
        work = score(request, response, started, bytes, decision.format);
      }
      void work.catch((error: unknown) => {
        context.logger.error({ err: error }, 'request failed');
        finish(
          route,
          response,
          started,
          500,
          jsonTypeOf(route),
          errorJson(route, 'INTERNAL_ERROR', 'Internal server error'),
        );
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

  function refuseTooLarge(route: HotRoute, request: IncomingMessage, response: ServerResponse, started: number) {
    // The rest of the body is not read: close the connection after answering.
    response.setHeader('connection', 'close');
    const message = `Request body is too large: the limit is ${options.bodyLimitBytes} bytes (--body-limit)`;
    finish(route, response, started, 413, jsonTypeOf(route), errorJson(route, 'RESOURCE_EXHAUSTED', message));
    request.resume();
  }
}
