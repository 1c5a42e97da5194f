/**
 * Every answer the server writes that is not a prediction: the error bodies of each protocol,
 * their content types, and the standard refusals (401, 404 listing the routes, 405 with Allow,
 * 413, 503 while shutting down). The request pipeline and every route take them from here.
 */

/** Which error body a route answers with: MLflow's `{error_code, message}` or OIP's `{error}`. */
export type Protocol = 'mlflow' | 'oip';

/** MLflow's server sends a plain `application/json`. */
export const JSON_TYPE = 'application/json';
/** What the OIP routes have always sent (the type fastify gave JSON when it served them). */
export const OIP_JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** An answer before it is written: status, content type, body and any extra headers. */
export interface Answer {
  status: number;
  type: string;
  body: string | Uint8Array;
  /** Flat `[name, value, …]` pairs. */
  headers?: readonly string[];
}

/** The 401 of a server that requires a token (the token itself is never named). */
export const UNAUTHENTICATED_MESSAGE =
  'This server requires Authorization: Bearer <token>, with the token it was started with (--auth-token-file).';
export const SHUTTING_DOWN_MESSAGE = 'The server is shutting down';
const BEARER = ['www-authenticate', 'Bearer'];
const CLOSE = ['connection', 'close'];

/** Every route this server answers, for the message of a 404. */
export const ROUTE_LIST =
  'GET /ping, GET /health, GET /version, POST /invocations, GET /metrics, GET /v2, GET /v2/health/live, ' +
  'GET /v2/health/ready, GET /v2/models/{name}[/versions/{version}][/ready], POST /v2/models/{name}[/versions/{version}]/infer';

export function jsonTypeOf(protocol: Protocol): string {
  return protocol === 'oip' ? OIP_JSON_TYPE : JSON_TYPE;
}

/** An error in the protocol's own body. */
export function errorAnswer(
  protocol: Protocol,
  status: number,
  code: string,
  message: string,
  headers?: readonly string[],
): Answer {
  const body = protocol === 'oip' ? JSON.stringify({ error: message }) : JSON.stringify({ error_code: code, message });
  return headers === undefined
    ? { status, type: jsonTypeOf(protocol), body }
    : { status, type: jsonTypeOf(protocol), body, headers };
}

export function unauthenticated(protocol: Protocol, message = UNAUTHENTICATED_MESSAGE): Answer {
  return errorAnswer(protocol, 401, 'UNAUTHENTICATED', message, BEARER);
}

/** New requests while the server drains; the connection closes after the answer. */
export function shuttingDown(protocol: Protocol): Answer {
  return errorAnswer(protocol, 503, 'TEMPORARILY_UNAVAILABLE', SHUTTING_DOWN_MESSAGE, CLOSE);
}

/** The rest of the body is not read: the connection closes after the answer. */
export function tooLarge(protocol: Protocol, limitBytes: number): Answer {
  const message = `Request body is too large: the limit is ${limitBytes} bytes (--body-limit)`;
  return errorAnswer(protocol, 413, 'RESOURCE_EXHAUSTED', message, CLOSE);
}

export function internalError(protocol: Protocol): Answer {
  return errorAnswer(protocol, 500, 'INTERNAL_ERROR', 'Internal server error');
}

/** A path no route has: OIP's body under /v2, MLflow's elsewhere, with the list of routes. */
export function notFound(method: string, path: string): Answer {
  const message = `No route for ${method} ${path}. This server answers ${ROUTE_LIST}.`;
  return path.startsWith('/v2')
    ? errorAnswer('oip', 404, 'ENDPOINT_NOT_FOUND', message)
    : errorAnswer('mlflow', 404, 'ENDPOINT_NOT_FOUND', message);
}

/** One of MLflow's routes asked with another method: Starlette's 405, with `Allow`. */
export function methodNotAllowed(allowed: string): Answer {
  return { status: 405, type: JSON_TYPE, body: '{"detail":"Method Not Allowed"}', headers: ['allow', allowed] };
}

/** One of MLflow's routes with a trailing slash: Starlette's 307 to the route, the query kept. */
export function redirect(location: string): Answer {
  return { status: 307, type: '', body: '', headers: ['location', location] };
}
