import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorReply } from './scoring-errors.js';
import type { ServerContext } from './server-context.js';

const NEWLINE = Buffer.from('\n');

/**
 * A JSON answer sent as bytes: fastify appends `; charset=utf-8` to a JSON type sent as a string,
 * and MLflow's server sends a plain `application/json`.
 */
export function sendJson(reply: FastifyReply, status: number, json: string | Buffer): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .send(typeof json === 'string' ? Buffer.from(json) : json);
}

export function sendMlflowError(reply: FastifyReply, error: ErrorReply): FastifyReply {
  return sendJson(reply, error.status, JSON.stringify(error.body));
}

/** The methods MLflow's scoring server allows on each of its routes (Starlette adds HEAD to GET). */
const MLFLOW_ROUTE_METHODS: Readonly<Record<string, string>> = {
  '/ping': 'GET, HEAD',
  '/health': 'GET, HEAD',
  '/version': 'GET, HEAD',
  '/invocations': 'POST',
};

/** Every route this server answers, for the message of a 404. */
export const ROUTE_LIST =
  'GET /ping, GET /health, GET /version, POST /invocations, GET /metrics, GET /v2, GET /v2/health/live, ' +
  'GET /v2/health/ready, GET /v2/models/{name}[/versions/{version}][/ready], POST /v2/models/{name}[/versions/{version}]/infer';

/**
 * What MLflow's server answers for a request that matches no route, when it is one of MLflow's
 * routes asked with another method (405 with `Allow`, Starlette's body) or with a trailing slash
 * (307 to the route, the query kept); undefined for a route that does not exist.
 */
export function answerMlflowMismatch(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const url = request.url;
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const allowed = MLFLOW_ROUTE_METHODS[path];
  if (allowed !== undefined) {
    return sendJson(reply.header('allow', allowed), 405, '{"detail":"Method Not Allowed"}');
  }
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed !== path && MLFLOW_ROUTE_METHODS[trimmed] !== undefined) {
    const target = trimmed + (queryAt === -1 ? '' : url.slice(queryAt));
    const host = request.headers.host;
    request.raw.resume();
    return reply
      .code(307)
      .header('location', host ? `http://${host}${target}` : target)
      .send();
  }
  return undefined;
}

/** MLflow's scoring protocol: /ping, /health, /version (`POST /invocations` is in hot-routes.ts). */
export function registerMlflowRoutes(app: FastifyInstance, context: ServerContext): void {
  const health = async (_request: unknown, reply: FastifyReply) =>
    sendJson(reply, context.isReady() ? 200 : 503, NEWLINE);
  app.get('/ping', health);
  app.get('/health', health);
  app.get('/version', async (_request, reply) => sendJson(reply, 200, context.version));
}
