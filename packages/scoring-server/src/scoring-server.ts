import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { BerthError } from '@berth/core';
import type { Logger } from 'pino';
import { bearerCheck, resolveAuthToken } from './bearer-auth.js';
import { addControlRoutes } from './control-routes.js';
import { createServerMetrics } from './metrics.js';
import { addMlflowRoutes } from './mlflow-routes.js';
import { addOpenInferenceRoutes } from './open-inference-routes.js';
import { RequestAccounting } from './request-accounting.js';
import { createRequestPipeline } from './request-pipeline.js';
import { RouteTable } from './route-table.js';
import { createSagemakerStreamHandler } from './sagemaker-streaming.js';
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
  const [logger, metrics, version, modelModule] = await Promise.all([
    createLogger(resolved.logger),
    createServerMetrics(),
    packageVersion(),
    import('@berth/model'),
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

  const accounting = new RequestAccounting(metrics);
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
    requestsServed: () => accounting.answeredCount,
    swap,
  };

  const routes = new RouteTable();
  // SageMaker mode: /invocations with Accept: application/jsonlines answers as a stream (sagemaker-streaming.ts).
  addMlflowRoutes(routes, context, resolved.sagemaker ? createSagemakerStreamHandler(context) : undefined);
  addOpenInferenceRoutes(routes, context);
  routes.add('GET', '/metrics', {
    label: '/metrics',
    protocol: 'mlflow',
    readsBody: false,
    handle: async (exchange) => exchange.send(200, metrics.registry.contentType, await metrics.registry.metrics()),
  });
  if (resolved.controlToken) addControlRoutes(routes, context, resolved.controlToken);

  const server: Server = createServer(
    {
      // Slow clients (a trickle of header bytes, a body that never ends) hold a connection each:
      // bound how long they may take. Node checks both limits every connectionsCheckingInterval
      // (30 s by default, which would stretch a 10 s limit to 40 s): check four times per limit.
      headersTimeout: resolved.headersTimeoutMs,
      requestTimeout: resolved.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(resolved.headersTimeoutMs / 4))),
    },
    createRequestPipeline({
      routes,
      accounting,
      bodyLimitBytes: resolved.bodyLimitBytes,
      authorized: context.authorized,
      controlRoutes: resolved.controlToken !== undefined,
      isClosing: () => closing,
      logger,
    }),
  );
  server.keepAliveTimeout = 72_000;
  // Connections beyond this are closed as they arrive, so a flood cannot exhaust descriptors.
  server.maxConnections = resolved.maxConnections;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: resolved.host, port: resolved.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await current.retire();
    throw listenError(error, resolved.host, resolved.port);
  }
  const address = server.address();
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
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const sweeper = setInterval(() => server.closeIdleConnections(), 25);
        try {
          await stopped;
        } finally {
          clearInterval(sweeper);
        }
        await swapChain;
        await current.retire();
      })();
      return closed;
    },
  };
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
