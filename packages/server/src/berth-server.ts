import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BerthError } from '@berth/core';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type DestinationStream, type Logger, pino } from 'pino';
import { type Access, AccessTokens, type AuthResult, authorize, type TokenOptions } from './access-tokens.js';
import type { OperationJSON } from './api-schemas.js';
import { EndpointCatalog } from './endpoint-catalog.js';
import { errorJson, errorReply } from './error-reply.js';
import { FastInvocations } from './fast-invocations.js';
import { createInvocationHandler, sendError } from './invocation-handler.js';
import { registerManagementRoutes } from './management-routes.js';
import { registerMlflowRoutes } from './mlflow-routes.js';
import { registerOpenApi } from './openapi-document.js';
import { OperationStore } from './operation-store.js';
import type { RouteContext, ZodApp } from './route-context.js';
import { openServedTarget } from './served-target.js';
import { ServerMetrics } from './server-metrics.js';

export interface ServerOptions {
  /** The target URI to serve (`local`, `sagemaker:/eu-west-1`, a registered or installed target). */
  target: string;
  /** Interface to bind; `127.0.0.1` by default. Beyond loopback only with a supplied read-write token. */
  host?: string;
  /** `0` picks a free port; 5000 by default. */
  port?: number;
  /** Accepted tokens; without a read-write token one is generated (`generatedToken`). */
  tokens?: TokenOptions;
  /** Largest body of the prediction routes (64 MiB by default). */
  bodyLimitBytes?: number;
  /** A pino logger, `{ level }` for the default one (JSON lines on stderr), or `false` for none. */
  logger?: Logger | { level?: string } | false;
  /** Items per page of MLflow's `GET /api/2.0/endpoints/` (1000 by default). */
  pageSize?: number;
  /** Stream MLflow invocations straight to a deployment's loopback `url` (default true); else `predict`. */
  proxyInvocations?: boolean;
  /** How long finished operations stay readable (1 h by default). */
  operationRetentionMs?: number;
  /**
   * Proxied invocations in flight on one connection to a deployment before another is opened
   * (default 8; 1 turns pipelining off, for a deployment server that mishandles it).
   */
  pipelineDepth?: number;
}

export interface BerthServer {
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The read-write token the server made because none was given; show it to the user once. */
  readonly generatedToken: string | undefined;
  readonly target: { uri: string; name: string };
  /** The OpenAPI 3.1 document served at `/openapi.json`. */
  openApiDocument(): Record<string, unknown>;
  /** Operations still running (to tell the user what stopping would leave behind). */
  runningOperations(): OperationJSON[];
  /**
   * Stops accepting connections, lets in-flight requests finish, waits up to `operationTimeoutMs`
   * (30 s) for running operations, closes the target's client. Answers the operations still running.
   */
  close(options?: { operationTimeoutMs?: number }): Promise<OperationJSON[]>;
}

const DEFAULT_PORT = 5000;
const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;
const REQUEST_ID = /^[\w.:-]{1,128}$/;
const KEEP_ALIVE_MS = 72_000;
/** Invocation bodies up to this size take the fast path; larger ones stream through node:http. */
const FAST_BODY_LIMIT = 1024 * 1024;

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** The server's pino settings: JSON lines, and the authorization header cut if anything ever logs it. */
export function createServerLogger(
  level: string,
  destination: DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    {
      name: 'berth-server',
      level,
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', '*.token'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

function createLogger(option: ServerOptions['logger']): Logger {
  if (option === false) return pino({ enabled: false });
  if (option && typeof (option as Logger).child === 'function') return option as Logger;
  return createServerLogger((option as { level?: string } | undefined)?.level ?? process.env.BERTH_LOG_LEVEL ?? 'info');
}

/** `/endpoints/{name}/invocations` or `/gateway/{name}/invocations` → the decoded name, else undefined. */
export function matchInvocationPath(url: string): string | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const prefix = path.startsWith('/endpoints/') ? 11 : path.startsWith('/gateway/') ? 9 : -1;
  if (prefix < 0 || !path.endsWith('/invocations')) return undefined;
  const segment = path.slice(prefix, path.length - 12);
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // fastify answers the malformed URL
  }
}

function authFailure(response: ServerResponse, result: Exclude<AuthResult, { ok: true }>): void {
  const body = JSON.stringify(errorJson(result.code, result.message));
  const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
  if (result.status === 401) headers.push('www-authenticate', 'Bearer realm="berth"');
  response.writeHead(result.status, headers);
  response.end(body);
}

/** Starts a deployments server for one target and resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<BerthServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw BerthError.invalidParameterValue(`Invalid port ${port}: use 0 to 65535 (0 picks a free port).`);
  }
  const tokens = new AccessTokens(options.tokens);
  if (!isLoopbackHost(host) && tokens.generated !== undefined) {
    throw BerthError.invalidParameterValue(
      `Refusing to listen on ${host} without a token you supplied: the server would be reachable from other machines, and a generated token is only offered on loopback.`,
      {
        suggestions: [
          'Pass --token-file <path> (one token per line) or set BERTH_SERVER_TOKEN, then start again.',
          'Or leave --host unset to listen on 127.0.0.1 only.',
        ],
      },
    );
  }
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const logger = createLogger(options.logger);
  const [target, serverVersion, fastifyModule] = await Promise.all([
    openServedTarget(options.target),
    packageVersion(),
    import('fastify'),
  ]);

  let operations: OperationStore;
  const metrics = new ServerMetrics(() => operations.inFlight);
  operations = new OperationStore({
    retentionMs: options.operationRetentionMs ?? 60 * 60_000,
    maxFinished: 1000,
    onFinish: (operation) => metrics.operations.inc({ kind: operation.kind, state: operation.state }),
  });
  const proxyInvocations = options.proxyInvocations ?? true;
  const catalog = new EndpointCatalog(target, proxyInvocations);
  const invocations = createInvocationHandler({
    target,
    catalog,
    metrics,
    bodyLimitBytes,
    onError: (error, name) => {
      const reply = errorReply(error);
      if (reply.status >= 500) {
        logger.warn({ endpoint: name, errorCode: reply.body.error_code, status: reply.status }, 'invocation failed');
      }
    },
  });

  let closing = false;
  const invocationRoute = '/endpoints/:name/invocations';
  const hotInvocation = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.method !== 'POST') return false;
    const name = matchInvocationPath(request.url ?? '/');
    if (name === undefined) return false;
    const started = performance.now();
    response.once('close', () =>
      metrics.observeRequest(invocationRoute, 'POST', response.statusCode, (performance.now() - started) / 1000),
    );
    if (closing) {
      sendError(
        response,
        errorReply(new BerthError('The server is shutting down.', { code: 'TEMPORARILY_UNAVAILABLE' })),
      );
      return true;
    }
    const auth = authorize(tokens, request.headers.authorization, 'read');
    if (!auth.ok) {
      authFailure(response, auth);
      return true;
    }
    invocations(request, response, name).catch((error: unknown) => {
      logger.error({ err: error }, 'invocation handler failed');
      sendError(response, errorReply(error));
    });
    return true;
  };

  let handOver: (socket: Socket, pending: Buffer | undefined) => void = () => undefined;
  const fast = proxyInvocations
    ? new FastInvocations({
        tokens,
        catalog,
        metrics,
        fastBodyLimitBytes: Math.min(FAST_BODY_LIMIT, bodyLimitBytes),
        bodyLimitBytes,
        isClosing: () => closing,
        handOver: (socket, pending) => handOver(socket, pending),
        idleTimeoutMs: KEEP_ALIVE_MS,
        ...(options.pipelineDepth === undefined ? {} : { pipelineDepth: options.pipelineDepth }),
      })
    : undefined;

  const { default: Fastify, LogController } = fastifyModule;
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      const server = createServer((request, response) => {
        dropEmptyBodyType(request);
        if (!hotInvocation(request, response)) fastifyHandler(request, response);
      });
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      if (fast) {
        // Every connection starts on the invocation fast path; node:http gets it (with the bytes
        // read so far) at its first request that is anything else.
        const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
        server.removeAllListeners('connection');
        server.on('connection', (socket: Socket) => fast.accept(socket));
        handOver = (socket, pending) => {
          socket.pause();
          if (pending !== undefined && pending.length > 0) socket.unshift(pending);
          for (const listener of httpListeners) listener.call(server, socket);
          socket.resume();
        };
      }
      return server;
    },
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1000 },
  }) as unknown as ZodApp;

  const { validatorCompiler } = await import('fastify-type-provider-zod');
  app.setValidatorCompiler(validatorCompiler);
  // Answers are built from typed values; re-validating a target's Deployment on the way out would
  // turn a community target's extra field types into 500s. The schemas document them (OpenAPI).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addHook('onRequest', (request, reply, done) => {
    const started = performance.now();
    reply.header('x-request-id', request.id);
    reply.raw.once('close', () => {
      const route = request.routeOptions.url ?? '(no route)';
      const status = reply.raw.writableFinished ? reply.raw.statusCode : 499;
      const ms = performance.now() - started;
      metrics.observeRequest(route, request.method, status, ms / 1000);
      logger.info(
        { reqId: request.id, method: request.method, route, status, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    const access: Access | 'open' = request.routeOptions.config?.access ?? 'read';
    if (access === 'open') return done();
    const auth = authorize(tokens, request.headers.authorization, access);
    if (auth.ok) return done();
    if (auth.status === 401) reply.header('www-authenticate', 'Bearer realm="berth"');
    reply.code(auth.status).send(errorJson(auth.code, auth.message));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0];
    reply
      .code(404)
      .send(
        errorJson('ENDPOINT_NOT_FOUND', `No route ${request.method} ${path} on this server.`, [
          'See GET /openapi.json for the routes.',
        ]),
      );
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = httpErrorReply(error);
    if (status >= 500) {
      logger.error(
        { reqId: request.id, errorCode: body.error_code, route: request.routeOptions.url },
        'request failed',
      );
    }
    reply.code(status).send(body);
  });

  const context: RouteContext = {
    target,
    operations,
    catalog,
    metrics,
    invocations,
    logger: logger as FastifyBaseLogger,
    serverVersion,
    pageSize: options.pageSize ?? 1000,
    bodyLimitBytes,
  };
  await registerOpenApi(app, serverVersion);
  registerManagementRoutes(app, context);
  registerMlflowRoutes(app, context);
  app.get(
    '/metrics',
    { config: { access: 'read' }, schema: { summary: 'Prometheus metrics', produces: ['text/plain'] } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.exposition()),
  );

  try {
    await app.listen({ host, port });
  } catch (error) {
    invocations.close();
    await target.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new BerthError(`Port ${port} on ${host} is already in use.`, {
        code: 'RESOURCE_ALREADY_EXISTS',
        suggestions: ['Pick another with --port, or --port 0 for a free one.'],
        cause: error,
      });
    }
    throw error;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  logger.info({ host, port: boundPort, target: target.uri }, 'berth server listening');

  let closed: Promise<OperationJSON[]> | undefined;
  return {
    url: `http://${urlHost}:${boundPort}`,
    host,
    port: boundPort,
    generatedToken: tokens.generated,
    target: { uri: target.uri, name: target.name },
    openApiDocument: () => app.swagger() as unknown as Record<string, unknown>,
    runningOperations: () => operations.running().map((operation) => operation.toJSON()),
    close(closeOptions = {}) {
      closed ??= (async () => {
        closing = true;
        fast?.close();
        const sweeper = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          await app.close();
        } finally {
          clearInterval(sweeper);
        }
        const left = await operations.settle(closeOptions.operationTimeoutMs ?? 30_000);
        invocations.close();
        fast?.closePipeline();
        await target.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the target client failed'));
        logger.info({ abandonedOperations: left.length }, 'berth server stopped');
        return left.map((operation) => operation.toJSON());
      })();
      return closed;
    },
  };
}

/** Fastify's own refusals (body limit, content type, malformed JSON, schema) as Berth's error JSON. */
function httpErrorReply(error: FastifyError): ReturnType<typeof errorReply> {
  if (BerthError.isInstance(error)) return errorReply(error);
  if (error.validation) {
    const where = error.validationContext ?? 'body';
    const issues = error.validation
      .slice(0, 3)
      .map((issue) => {
        const path = (issue.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
        return path ? `'${path}': ${issue.message}` : String(issue.message);
      })
      .join('; ');
    return { status: 400, body: errorJson('INVALID_PARAMETER_VALUE', `Invalid request ${where}: ${issues}`) };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: errorJson('INVALID_PARAMETER_VALUE', 'The request body is larger than the limit for this route.'),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: errorJson('INVALID_PARAMETER_VALUE', 'Unsupported content type: send the body as application/json.'),
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: errorJson('INVALID_PARAMETER_VALUE', 'The request body is empty; send a JSON object.'),
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        status: 400,
        body: errorJson('INVALID_PARAMETER_VALUE', `Malformed JSON in the request body: ${error.message}`),
      };
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, body: errorJson('BAD_REQUEST', error.message) };
  }
  return errorReply(error);
}

/**
 * A DELETE or GET with `Content-Type: application/json` and no body (HTTP libraries and wrappers
 * that set the header on every request) has nothing to parse; without this, fastify's JSON parser
 * refused it as an empty JSON body and the delete did not happen.
 */
function dropEmptyBodyType(request: IncomingMessage): void {
  if (request.method !== 'DELETE' && request.method !== 'GET') return;
  if (request.headers['transfer-encoding'] !== undefined) return;
  const length = request.headers['content-length'];
  if (length === undefined || length === '0') delete request.headers['content-type'];
}
