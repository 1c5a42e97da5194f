import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Access } from './access-tokens.js';
import type { EndpointCatalog } from './endpoint-catalog.js';
import type { InvocationHandler } from './invocation-handler.js';
import type { OperationStore } from './operation-store.js';
import type { ServedTarget } from './served-target.js';
import type { ServerMetrics } from './server-metrics.js';

/** What every route module works with: one served target and the server's shared parts. */
export interface RouteContext {
  target: ServedTarget;
  operations: OperationStore;
  catalog: EndpointCatalog;
  metrics: ServerMetrics;
  invocations: InvocationHandler;
  logger: FastifyBaseLogger;
  serverVersion: string;
  pageSize: number;
  bodyLimitBytes: number;
}

export type ZodApp = FastifyInstance<
  RawServerDefault,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Per-route config fastify hands to the hooks: who may call the route. */
export interface RouteAccess {
  access: Access | 'open';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access | 'open';
  }
}

export const API_PREFIX = '/api/berth/v1';

/** Management bodies are small JSON documents; prediction routes take the configurable limit. */
export const MANAGEMENT_BODY_LIMIT = 1024 * 1024;
