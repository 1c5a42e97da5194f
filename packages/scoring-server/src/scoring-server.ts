import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/core';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { bearerCheck, isOpenPath, resolveAuthToken } from './bearer-auth.js';
import { registerControlRoutes } from './control-routes.js';
import { createHotRoutesHandler } from './hot-routes.js';
import { createServerMetrics } from './metrics.js';
import { answerMlflowMismatch, ROUTE_LIST, registerMlflowRoutes, sendMlflowError } from './mlflow-routes.js';
import { createOipInfer, registerOpenInferenceRoutes } from './open-inference-routes.js';
import { createSagemakerStreamHandler } from './sagemaker-streaming.js';
import { UNAUTHENTICATED_MESSAGE } from './scoring-errors.js';
import { type ResolvedOptions, resolveOptions, type ScoringServerOptions } from './scoring-server-options.js';
import type { ServerContext, SwapResult } from './server-context.js';
import { ServingModel } from './serving-model.js';

export interface ScoringServerHandle {
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Model URI and flavor being served now. */
  readonly modelUri: string;
  readonly flavor: string;
  /**
   * Loads `modelUri`, runs a readiness inference on its input example, then switches to it; the old
   * model finishes its in-flight requests and is closed. On failure the old model keeps serving.
   */
  swapModel(modelUri: string, flavor?: string): Promise<SwapResult>;
  /** Stops accepting connections, drains in-flight requests, closes the model. */
  close(): Promise<void>;
}

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

async function createLogger(option: ResolvedOptions['logger']): Promise<Logger> {
  const { pino } = await import('pino');
  if (option === false) return pino({ enabled: false });
  if (option && typeof (option as Logger).child === 'function') return option as Logger;
  const level = (option as { level?: string } | undefined)?.level ?? process.env.BERTH_LOG_LEVEL ?? 'warn';
  return pino(
    {
      name: 'berth-scoring-server',
      level,
      // Defence in depth: nothing logs headers, but if anything ever does, tokens stay out.
      redact: [
        'req.headers.authorization',
        'headers.authorization',
        'controlToken',
        '*.controlToken',
        'authToken',
        '*.authToken',
      ],
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export async function startScoringServer(options: ScoringServerOptions): Promise<ScoringServerHandle> {
  const resolved = resolveOptions(options);
  const authToken = await resolveAuthToken(resolved);
  const [logger, metrics, version, modelModule, { default: Fastify, LogController }] = await Promise.all([
    createLogger(resolved.logger),
    createServerMetrics(),
    packageVersion(),
    import('@berth/model'),
    import('fastify'),
  ]);
  const modelOptions = {
    flavor: resolved.flavor,
    allowCode: resolved.allowCode,
    workers: resolved.workers,
    inlineBudgetMs: resolved.inlineBudgetMs,
    workerBodyBytes: resolved.workerBodyBytes,
    maxBatchSize: resolved.maxBatchSize,
    maxBatchDelayMs: resolved.maxBatchDelayMs,
    cacheDir: resolved.cacheDir,
  };
  let current = await ServingModel.load(resolved.modelUri, modelOptions, metrics, logger);
  logger.info(
    { flavor: current.flavor, workers: resolved.workers, loadSeconds: current.loadSeconds },
    'model loaded and passed its readiness check',
  );

  let served = 0;
  let closing = false;
  let swapChain: Promise<unknown> = Promise.resolve();

  const swap = (modelUri: string, flavor?: string): Promise<SwapResult> => {
    const next = swapChain.then(async () => {
      if (closing) {
        throw new BerthError('The server is shutting down; the model was not swapped.', {
          code: 'TEMPORARILY_UNAVAILABLE',
        });
      }
      let fresh: ServingModel;
      try {
        fresh = await ServingModel.load(modelUri, { ...modelOptions, flavor }, metrics, logger);
      } catch (error) {
        metrics.swaps.inc({ result: 'failed' });
        logger.warn({ err: error }, 'model swap failed; the old model keeps serving');
        throw error;
      }
      const old = current;
      current = fresh;
      metrics.swaps.inc({ result: 'ok' });
      logger.info({ flavor: fresh.flavor }, 'model swapped');
      void old.retire().catch((error: unknown) => logger.error({ err: error }, 'closing the old model failed'));
      return { modelUri: fresh.modelUri, flavor: fresh.flavor, loadedAt: fresh.loadedAt.toISOString() };
    });
    swapChain = next.catch(() => undefined);
    return next;
  };

  const context: ServerContext = {
    version,
    modelName: resolved.modelName,
    modelVersion: resolved.modelVersion,
    timeoutSeconds: resolved.timeoutSeconds,
    stackTraces: resolved.debug,
    controlToken: resolved.controlToken,
    authorized: authToken === undefined ? undefined : bearerCheck(authToken),
    startedAt: new Date(),
    metrics,
    logger,
    modelModule,
    current: () => current,
    isReady: () => !closing,
    requestsServed: () => served,
    countRequest: () => {
      served++;
    },
    swap,
  };

  const hotRoutes = createHotRoutesHandler(context, {
    bodyLimitBytes: resolved.bodyLimitBytes,
    isClosing: () => closing,
    oipInfer: createOipInfer(context),
  });
  // SageMaker mode: /invocations with Accept: application/jsonlines answers as a stream (sagemaker-streaming.ts).
  const streamRoute = resolved.sagemaker
    ? createSagemakerStreamHandler(context, { bodyLimitBytes: resolved.bodyLimitBytes, isClosing: () => closing })
    : undefined;
  const { createServer } = await import('node:http');
  const app: FastifyInstance = Fastify({
    serverFactory: (fastifyHandler) => {
      const server = createServer(
        {
          // Slow clients (a trickle of header bytes, a body that never ends) hold a connection each:
          // bound how long they may take. Node checks both limits every connectionsCheckingInterval
          // (30 s by default, which would stretch a 10 s limit to 40 s): check four times per limit.
          headersTimeout: resolved.headersTimeoutMs,
          requestTimeout: resolved.requestTimeoutMs,
          connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(resolved.headersTimeoutMs / 4))),
        },
        (request, response) => {
          if (streamRoute?.(request, response)) return;
          if (!hotRoutes(request, response)) fastifyHandler(request, response);
        },
      );
      server.keepAliveTimeout = 72_000;
      // Connections beyond this are closed as they arrive, so a flood cannot exhaust descriptors.
      server.maxConnections = resolved.maxConnections;
      return server;
    },
    loggerInstance: logger,
    // Per-request log lines cost throughput and could leak URLs with data; errors are logged by us.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: resolved.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;
  configureApp(app, context, resolved);

  try {
    await app.listen({ host: resolved.host, port: resolved.port });
  } catch (error) {
    await current.retire();
    throw listenError(error, resolved.host, resolved.port);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : resolved.port;
  const urlHost = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  logger.info({ host: resolved.host, port }, 'scoring server listening');

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host: resolved.host,
    get modelUri() {
      return current.modelUri;
    },
    get flavor() {
      return current.flavor;
    },
    swapModel: swap,
    close() {
      closed ??= (async () => {
        closing = true;
        // Connections that finish their in-flight request during the drain stay keep-alive; close
        // each one as soon as it is idle instead of waiting for the keep-alive timeout.
        const sweeper = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          await app.close();
        } finally {
          clearInterval(sweeper);
        }
        await swapChain;
        await current.retire();
      })();
      return closed;
    },
  };

  function configureApp(instance: FastifyInstance, shared: ServerContext, settings: ResolvedOptions): void {
    // Every body is read as a UTF-8 string whatever its type: /invocations does MLflow's content-type
    // negotiation itself, and a missing Content-Type must reach it to be answered with a 415.
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    // Callback hooks: async ones cost a promise and a tick each per request.
    // A request leaves the in-flight count once: when answered, or when its client went away
    // before the request was complete (then no answer follows).
    instance.decorateRequest('berthInFlight', false);
    const leaveInFlight = (request: FastifyRequest) => {
      if (!request.berthInFlight) return;
      request.berthInFlight = false;
      metrics.inFlight.dec();
    };
    instance.addHook('onRequest', (request, reply, done) => {
      request.berthInFlight = true;
      metrics.inFlight.inc();
      const path = request.url.split('?')[0] as string;
      // The control routes check their own token (one Authorization header cannot carry two).
      const controlRoute = shared.controlToken !== undefined && path.startsWith('/-/berth/');
      if (
        shared.authorized &&
        !isOpenPath(path) &&
        !controlRoute &&
        !shared.authorized(request.headers.authorization)
      ) {
        reply.header('www-authenticate', 'Bearer');
        if (path.startsWith('/v2')) reply.code(401).send({ error: UNAUTHENTICATED_MESSAGE });
        else
          sendMlflowError(reply, {
            status: 401,
            body: { error_code: 'UNAUTHENTICATED', message: UNAUTHENTICATED_MESSAGE },
          });
        return;
      }
      done();
    });
    instance.addHook('onRequestAbort', (request, done) => {
      leaveInFlight(request);
      done();
    });
    instance.addHook('onResponse', (request, reply, done) => {
      leaveInFlight(request);
      served++;
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
      metrics.requestDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
      done();
    });

    instance.setNotFoundHandler(async (request, reply) => {
      const message = `No route for ${request.method} ${request.url.split('?')[0]}. This server answers ${ROUTE_LIST}.`;
      if (request.url.startsWith('/v2')) return reply.code(404).send({ error: message });
      const mismatch = answerMlflowMismatch(request, reply);
      if (mismatch !== undefined) return mismatch;
      return sendMlflowError(reply, { status: 404, body: { error_code: 'ENDPOINT_NOT_FOUND', message } });
    });

    instance.setErrorHandler(async (error: FastifyError, request, reply) => {
      const { status, code, message } = describeFrameworkError(error, settings.bodyLimitBytes);
      if (status >= 500) shared.logger.error({ err: error, url: request.url.split('?')[0] }, 'request failed');
      if (request.url.startsWith('/v2')) return reply.code(status).send({ error: message });
      if (status === 415) return reply.code(415).type('text/plain; charset=utf-8').send(message);
      return sendMlflowError(reply, { status, body: { error_code: code, message } });
    });

    registerMlflowRoutes(instance, shared);
    registerOpenInferenceRoutes(instance, shared);
    instance.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
    if (settings.controlToken) registerControlRoutes(instance, shared, settings.controlToken);
  }
}

/** A port that is taken or not allowed is the caller's to fix: say which, and how. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new BerthError(`Port ${port} on ${host} is already in use.`, {
      code: 'RESOURCE_ALREADY_EXISTS',
      suggestions: ['Pick another with --port, or --port 0 for a free one.'],
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new BerthError(`Cannot listen on ${host}:${port} (${code}).`, {
      code: 'PERMISSION_DENIED',
      suggestions: [
        code === 'EACCES'
          ? 'Ports below 1024 need privileges: pick a higher --port.'
          : `${host} is not an address of this machine: pick another --host.`,
      ],
      cause: error,
    });
  }
  return error;
}

function describeFrameworkError(
  error: FastifyError,
  bodyLimitBytes: number,
): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        code: 'RESOURCE_EXHAUSTED',
        message: `Request body is too large: the limit is ${bodyLimitBytes} bytes (--body-limit)`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'BAD_REQUEST',
        message:
          "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got ''.",
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'BAD_REQUEST', message: 'Content-Length does not match the body' };
    default: {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      return {
        status,
        code: status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST',
        message: status >= 500 ? 'Internal server error' : error.message,
      };
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** True from `onRequest` until the request left `berth_http_requests_in_flight`. */
    berthInFlight: boolean;
  }
}
