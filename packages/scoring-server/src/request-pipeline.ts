import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  internalError,
  methodNotAllowed,
  notFound,
  type Protocol,
  redirect,
  shuttingDown,
  tooLarge,
  unauthenticated,
} from './answers.js';
import { isOpenPath } from './bearer-auth.js';
import { Exchange } from './exchange.js';
import type { RequestAccounting } from './request-accounting.js';
import type { Route, RouteTable } from './route-table.js';
import { TurnWriter } from './turn-writer.js';

export interface PipelineOptions {
  routes: RouteTable;
  accounting: RequestAccounting;
  bodyLimitBytes: number;
  /** Checks the Authorization header when the server requires a token. */
  authorized: ((header: string | undefined) => boolean) | undefined;
  /** The control routes check their own token (one Authorization header cannot carry two). */
  controlRoutes: boolean;
  isClosing(): boolean;
  logger: { warn(object: object, message: string): void; error(object: object, message: string): void };
}

/** MLflow's routes, which answer another method with 405 and a trailing slash with 307, as Starlette does. */
const MLFLOW_PATHS: ReadonlySet<string> = new Set(['/ping', '/health', '/version', '/invocations']);

function protocolOfPath(path: string): Protocol {
  return path.startsWith('/v2') ? 'oip' : 'mlflow';
}

/**
 * The server's one request pipeline, on plain node:http (fastify's pipeline — content-type
 * parser, async hooks, reply pipeline — was a large share of an iris request's CPU time in the
 * bench, and once the prediction routes left it, it carried only rare routes). For every request:
 * the route, accounting from headers to answer, the auth token, the refusal while shutting down,
 * the body under its limit, then the route's handler; answers are written in groups per
 * event-loop turn (turn-writer.ts).
 */
export function createRequestPipeline(
  options: PipelineOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { routes, accounting, bodyLimitBytes, authorized } = options;
  const writer = new TurnWriter((error) => options.logger.warn({ err: error }, 'writing an answer failed'));

  return (request, response) => {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const method = request.method ?? 'GET';
    const match = routes.match(method, path);
    const route = match.kind === 'route' ? match.route : undefined;
    const exchange = new Exchange(
      request,
      response,
      accounting.begin(route?.label ?? 'unmatched', method),
      match.kind === 'route' ? match.params : {},
      accounting,
      writer,
    );
    const protocol = route?.protocol ?? protocolOfPath(path);

    const ownAuth = options.controlRoutes && path.startsWith('/-/berth/');
    if (authorized && !isOpenPath(path) && !ownAuth && !authorized(request.headers.authorization)) {
      request.resume();
      return exchange.answer(unauthenticated(protocol));
    }
    if (options.isClosing()) {
      request.resume();
      return exchange.answer(shuttingDown(protocol));
    }
    if (route === undefined) {
      request.resume();
      return exchange.answer(
        noRoute(request, method, path, url, queryAt, match.kind === 'method' ? match.allowed : undefined),
      );
    }
    if (!route.readsBody) {
      request.resume();
      return run(route, exchange);
    }
    if (Number(request.headers['content-length'] ?? 0) > bodyLimitBytes) {
      request.resume();
      return exchange.answer(tooLarge(protocol, bodyLimitBytes));
    }
    // Small bodies arrive in one chunk: keep it alone, make a list only for a second one.
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let refused = false;
    let ended = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > bodyLimitBytes) {
        refused = true;
        // The rest of the body is not read; the answer closes the connection.
        exchange.answer(tooLarge(protocol, bodyLimitBytes));
        return;
      }
      if (first === undefined) first = chunk;
      else if (chunks === undefined) chunks = [first, chunk];
      else chunks.push(chunk);
    });
    request.on('end', () => {
      ended = true;
      if (refused) return;
      if (chunks !== undefined) {
        exchange.body = Buffer.concat(chunks, size);
        exchange.bodyIsCopy = true;
      } else if (first !== undefined) {
        exchange.body = first;
      }
      run(route, exchange);
    });
    request.on('error', () => {
      if (!response.headersSent) response.destroy();
      // The client went away before its body was complete: no answer will follow, so the request
      // leaves the in-flight count here (it is not counted as answered).
      if (!ended && !refused) exchange.record.abandoned();
    });
  };

  function run(route: Route, exchange: Exchange): void {
    let work: void | Promise<void>;
    try {
      work = route.handle(exchange);
    } catch (error) {
      failed(route, exchange, error);
      return;
    }
    if (work !== undefined) work.catch((error: unknown) => failed(route, exchange, error));
  }

  function failed(route: Route, exchange: Exchange, error: unknown): void {
    options.logger.error({ err: error, url: exchange.request.url?.split('?')[0] }, 'request failed');
    if (exchange.response.headersSent) {
      exchange.response.destroy();
      exchange.record.answered(500);
    } else {
      exchange.answer(internalError(route.protocol));
    }
  }
}

/**
 * A request no route takes: one of MLflow's routes asked with another method (405 with `Allow`)
 * or with a trailing slash (307 to the route, the query kept), else a 404 naming the routes.
 */
function noRoute(
  request: IncomingMessage,
  method: string,
  path: string,
  url: string,
  queryAt: number,
  allowed: string | undefined,
) {
  if (allowed !== undefined && MLFLOW_PATHS.has(path)) return methodNotAllowed(allowed);
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed !== path && MLFLOW_PATHS.has(trimmed)) {
    const target = trimmed + (queryAt === -1 ? '' : url.slice(queryAt));
    const host = request.headers.host;
    return redirect(host ? `http://${host}${target}` : target);
  }
  return notFound(method, path);
}
