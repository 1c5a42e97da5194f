import { BerthError } from '@berth/core';
import { z } from 'zod';
import {
  errorBody,
  mlflowEndpoint,
  mlflowListQuery,
  mlflowListResponse,
  mlflowNotFound,
  nameParams,
} from './api-schemas.js';
import type { RouteContext, ZodApp } from './route-context.js';

/** `next_page_token`: the name the page ended at, so pages stay right while endpoints come and go. */
export function encodePageToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // reported below
  }
  throw BerthError.invalidParameterValue(
    `Invalid page_token '${token.slice(0, 100)}': it is not a token this server gave.`,
    {
      suggestions: ['Start again without page_token, and pass the next_page_token of each answer unchanged.'],
    },
  );
}

/** The gateway URL paths MLflow's `http` deployments client calls, plus the gateway's health route. */
export const INVOCATION_ROUTES = ['/endpoints/:name/invocations', '/gateway/:name/invocations'] as const;

export function registerMlflowRoutes(app: ZodApp, context: RouteContext): void {
  const { catalog } = context;

  app.get(
    '/health',
    {
      config: { access: 'open' },
      schema: { summary: 'Health (no token needed)', response: { 200: z.object({ status: z.literal('OK') }) } },
    },
    async () => ({ status: 'OK' as const }),
  );

  const list = async (pageToken: string | undefined) => {
    const after = pageToken === undefined || pageToken === '' ? undefined : decodePageToken(pageToken);
    const all = await catalog.list();
    const start = after === undefined ? 0 : all.findIndex((item) => item.name > after);
    const page = start < 0 ? [] : all.slice(start, start + context.pageSize);
    const last = page[page.length - 1];
    const more = start >= 0 && start + context.pageSize < all.length && last !== undefined;
    return more ? { endpoints: page, next_page_token: encodePageToken(last.name) } : { endpoints: page };
  };

  for (const url of ['/api/2.0/endpoints/', '/api/2.0/endpoints']) {
    app.get(
      url,
      {
        config: { access: 'read' },
        schema: {
          summary: "MLflow: list endpoints (the target's deployments and endpoints), paginated",
          querystring: mlflowListQuery,
          response: { 200: mlflowListResponse, 400: errorBody },
          hide: url === '/api/2.0/endpoints',
        },
      },
      async (request) => list(request.query.page_token),
    );
  }

  app.get(
    '/api/2.0/endpoints/:name',
    {
      config: { access: 'read' },
      schema: {
        summary: 'MLflow: get one endpoint',
        params: nameParams,
        response: { 200: mlflowEndpoint, 404: mlflowNotFound },
      },
    },
    async (request) => catalog.get(request.params.name),
  );

  // The invocation routes read the request body themselves (to stream it on): in their own scope, no
  // content-type parser consumes it first.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    registerInvocationRoutes(scope as ZodApp, context);
  });
}

function registerInvocationRoutes(app: ZodApp, context: RouteContext): void {
  for (const url of INVOCATION_ROUTES) {
    app.post(
      url,
      {
        config: { access: 'read' },
        bodyLimit: context.bodyLimitBytes,
        schema: {
          summary:
            url === INVOCATION_ROUTES[0]
              ? 'MLflow: predict with a deployment or endpoint (scoring-protocol body; "stream": true answers SSE)'
              : 'MLflow (legacy path): predict',
          params: nameParams,
          // Any body the model takes (JSON or CSV) goes through untouched; no schema may parse it.
          body: z.unknown().describe('A scoring-protocol JSON body or text/csv'),
          response: { 200: z.unknown(), 404: mlflowNotFound },
          hide: url !== INVOCATION_ROUTES[0],
        },
      },
      async (request, reply) => {
        // Normally answered by the invocation fast path before fastify; this serves what it declined.
        reply.hijack();
        await context.invocations(request.raw, reply.raw, request.params.name);
      },
    );
  }
}
