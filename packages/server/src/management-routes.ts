import { BerthError, type PredictionInput, type TargetConfig } from '@berth/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  configSchemaResponse,
  createDeploymentBody,
  createEndpointBody,
  deleteDeploymentBody,
  deployment,
  endpoint,
  endpointQuery,
  errorBody,
  explainResponse,
  nameParams,
  operation,
  operationParams,
  operationQuery,
  predictBody,
  predictionsResponse,
  serverInfo,
  targetHelpResponse,
  updateDeploymentBody,
  updateEndpointBody,
} from './api-schemas.js';
import { sendError } from './invocation-handler.js';
import { redactValues } from './log-redaction.js';
import type { OperationControls, OperationRequest } from './operation-store.js';
import { API_PREFIX, MANAGEMENT_BODY_LIMIT, type RouteContext, type ZodApp } from './route-context.js';
import { streamPredictions } from './sse-stream.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 500: errorBody };
const operationAnswers = { 200: operation, 202: operation, ...errors };
const MAX_PREFER_WAIT_S = 60;

/** `Prefer: wait=10` (RFC 7240) → 10 s, capped; absent or malformed → 0. */
export function preferredWaitMs(header: string | string[] | undefined): number {
  const text = Array.isArray(header) ? header.join(',') : header;
  const match = text ? /(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)/i.exec(text) : null;
  if (!match) return 0;
  return Math.min(Number(match[1]), MAX_PREFER_WAIT_S) * 1000;
}

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (!key || key.length > 200) {
    throw BerthError.invalidParameterValue('The Idempotency-Key header must be 1 to 200 characters long.');
  }
  return key;
}

/**
 * An AbortSignal that fires when the asking client goes away (ends a long poll early). The answer's
 * `close` fires once per request (the socket's would pile listeners up on a keep-alive connection).
 */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}

/** Spec 1.1's `OperationOptions` (progress, cancel) beside a method's own options. */
function withControls<T extends object>(options: T, controls: OperationControls): T & OperationControls {
  return { ...options, onProgress: controls.onProgress, signal: controls.signal };
}

export function registerManagementRoutes(app: ZodApp, context: RouteContext): void {
  const { target, operations, catalog } = context;
  const client = target.client;

  const startOperation = async (
    request: FastifyRequest,
    reply: FastifyReply,
    operationRequest: Omit<OperationRequest, 'idempotencyKey'>,
    config: TargetConfig | undefined,
  ) => {
    const { operation: started, replayed } = operations.start({
      ...operationRequest,
      idempotencyKey: idempotencyKeyOf(request),
      run: async (controls) => {
        try {
          return await operationRequest.run(controls);
        } finally {
          catalog.invalidate(operationRequest.resource.name);
        }
      },
    });
    if (!replayed) {
      context.logger.info(
        { reqId: request.id, operationId: started.id, kind: started.kind, resource: started.resource.name },
        'operation started',
      );
      void started.done.then(() => {
        const line = {
          operationId: started.id,
          kind: started.kind,
          resource: started.resource.name,
          state: started.state,
          ms: (started.finishedAt?.getTime() ?? Date.now()) - started.createdAt.getTime(),
          ...(started.error
            ? { errorCode: started.error.error_code, error: redactValues(started.error.message, config) }
            : {}),
        };
        if (started.error) context.logger.warn(line, 'operation failed');
        else context.logger.info(line, 'operation finished');
      });
    }
    await started.wait(preferredWaitMs(request.headers.prefer), undefined, clientGone(reply));
    return reply
      .code(started.running ? 202 : 200)
      .header('location', `${API_PREFIX}/operations/${started.id}`)
      .send(started.toJSON());
  };

  // server and target -----------------------------------------------------------------------------

  app.get(
    `${API_PREFIX}/server`,
    { config: { access: 'read' }, schema: { summary: 'Server and target versions', response: { 200: serverInfo } } },
    async () => ({
      server: { name: '@berth/server', version: context.serverVersion },
      api: 'v1' as const,
      target: {
        uri: target.uri,
        name: target.name,
        packageName: target.info.packageName,
        packageVersion: target.info.version,
        specificationVersion: target.module.specificationVersion.text,
      },
    }),
  );

  app.get(
    `${API_PREFIX}/target/help`,
    {
      config: { access: 'read' },
      schema: { summary: "The target's help text", response: { 200: targetHelpResponse } },
    },
    async () => ({ target: target.uri, help: String(await target.module.targetHelp()) }),
  );

  app.get(
    `${API_PREFIX}/target/config-schema`,
    {
      config: { access: 'read' },
      schema: { summary: "JSON Schema of the target's config", response: { 200: configSchemaResponse } },
    },
    async () => ({ target: target.uri, jsonSchema: target.configJsonSchema() }),
  );

  // deployments -----------------------------------------------------------------------------------

  app.get(
    `${API_PREFIX}/deployments`,
    {
      config: { access: 'read' },
      schema: {
        summary: 'List deployments',
        querystring: endpointQuery,
        response: { 200: deploymentList(), ...errors },
      },
    },
    async (request) => ({ deployments: await client.listDeployments(optionalEndpoint(request.query.endpoint)) }),
  );

  app.post(
    `${API_PREFIX}/deployments`,
    {
      config: { access: 'write' },
      bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: { summary: 'Create a deployment (an operation)', body: createDeploymentBody, response: operationAnswers },
    },
    async (request, reply) => {
      const { name, modelUri, flavor, endpoint: endpointName } = request.body;
      const config = await target.checkConfig(request.body.config);
      return startOperation(
        request,
        reply,
        {
          kind: 'createDeployment',
          resource: { type: 'deployment', name },
          run: (controls) =>
            client.createDeployment(
              name,
              modelUri,
              withControls(defined({ flavor, config, endpoint: endpointName }), controls),
            ),
        },
        config,
      );
    },
  );

  app.get(
    `${API_PREFIX}/deployments/:name`,
    {
      config: { access: 'read' },
      schema: {
        summary: 'Get a deployment',
        params: nameParams,
        querystring: endpointQuery,
        response: { 200: deployment, ...errors },
      },
    },
    async (request) => client.getDeployment(request.params.name, optionalEndpoint(request.query.endpoint)),
  );

  app.patch(
    `${API_PREFIX}/deployments/:name`,
    {
      config: { access: 'write' },
      bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: {
        summary: 'Update a deployment (an operation)',
        params: nameParams,
        body: updateDeploymentBody,
        response: operationAnswers,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { modelUri, flavor, endpoint: endpointName } = request.body;
      const config = await target.checkConfig(request.body.config);
      return startOperation(
        request,
        reply,
        {
          kind: 'updateDeployment',
          resource: { type: 'deployment', name },
          run: (controls) =>
            client.updateDeployment(
              name,
              withControls(defined({ modelUri, flavor, config, endpoint: endpointName }), controls),
            ),
        },
        config,
      );
    },
  );

  app.delete(
    `${API_PREFIX}/deployments/:name`,
    {
      config: { access: 'write' },
      bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: {
        summary: 'Delete a deployment (an operation; idempotent)',
        params: nameParams,
        querystring: endpointQuery,
        body: deleteDeploymentBody,
        response: operationAnswers,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const config = await target.checkConfig(request.body?.config);
      const endpointName = request.body?.endpoint ?? request.query.endpoint;
      return startOperation(
        request,
        reply,
        {
          kind: 'deleteDeployment',
          resource: { type: 'deployment', name },
          run: async (controls) => {
            await client.deleteDeployment(name, withControls(defined({ config, endpoint: endpointName }), controls));
            return null;
          },
        },
        config,
      );
    },
  );

  // predictions -----------------------------------------------------------------------------------

  const predictOptions = {
    config: { access: 'read' as const },
    bodyLimit: context.bodyLimitBytes,
  };
  const predictArguments = (body: {
    deploymentName?: string | undefined;
    endpoint?: string | undefined;
    inputs: Record<string, unknown>;
    params?: Record<string, unknown> | undefined;
  }): [string | undefined, PredictionInput, { endpoint?: string; params?: Record<string, unknown> }] => [
    body.deploymentName,
    body.inputs,
    defined({ endpoint: body.endpoint, params: body.params }),
  ];

  app.post(
    `${API_PREFIX}/predict`,
    {
      ...predictOptions,
      schema: { summary: 'Predict', body: predictBody, response: { 200: predictionsResponse, ...errors } },
    },
    async (request) => {
      const answer = await client.predict(...predictArguments(request.body));
      // A lenient target may hand back a plain object instead of a PredictionsResponse.
      const json = typeof answer?.toJSON === 'function' ? answer.toJSON() : (answer as unknown as object);
      return json as { predictions: unknown };
    },
  );

  app.post(
    `${API_PREFIX}/predict-stream`,
    {
      ...predictOptions,
      schema: {
        summary: 'Predict, streamed as server-sent events (data: {json} per chunk, then data: [DONE])',
        body: predictBody,
        produces: ['text/event-stream'],
        response: {
          200: z
            .string()
            .describe('Server-sent events: data: {json} per chunk, then data: [DONE]; event: error on failure'),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      reply.hijack();
      const chunks = client.predictStream(...predictArguments(request.body));
      await streamPredictions(reply.raw, chunks, (answer) => sendError(reply.raw, answer));
    },
  );

  app.post(
    `${API_PREFIX}/explain`,
    {
      ...predictOptions,
      schema: { summary: 'Explain predictions', body: predictBody, response: { 200: explainResponse, ...errors } },
    },
    async (request) => ({ explanation: (await client.explain(...predictArguments(request.body))) ?? null }),
  );

  // endpoints -------------------------------------------------------------------------------------

  app.get(
    `${API_PREFIX}/endpoints`,
    {
      config: { access: 'read' },
      schema: { summary: 'List endpoints', response: { 200: endpointList(), ...errors } },
    },
    async () => ({ endpoints: await client.listEndpoints() }),
  );

  app.post(
    `${API_PREFIX}/endpoints`,
    {
      config: { access: 'write' },
      bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: { summary: 'Create an endpoint (an operation)', body: createEndpointBody, response: operationAnswers },
    },
    async (request, reply) => {
      const { name } = request.body;
      const config = await target.checkConfig(request.body.config);
      return startOperation(
        request,
        reply,
        {
          kind: 'createEndpoint',
          resource: { type: 'endpoint', name },
          run: (controls) => client.createEndpoint(name, config, controls),
        },
        config,
      );
    },
  );

  app.get(
    `${API_PREFIX}/endpoints/:name`,
    {
      config: { access: 'read' },
      schema: { summary: 'Get an endpoint', params: nameParams, response: { 200: endpoint, ...errors } },
    },
    async (request) => client.getEndpoint(request.params.name),
  );

  app.patch(
    `${API_PREFIX}/endpoints/:name`,
    {
      config: { access: 'write' },
      bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: {
        summary: 'Update an endpoint (an operation)',
        params: nameParams,
        body: updateEndpointBody,
        response: operationAnswers,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const config = await target.checkConfig(request.body.config);
      return startOperation(
        request,
        reply,
        {
          kind: 'updateEndpoint',
          resource: { type: 'endpoint', name },
          run: (controls) => client.updateEndpoint(name, config, controls),
        },
        config,
      );
    },
  );

  app.delete(
    `${API_PREFIX}/endpoints/:name`,
    {
      config: { access: 'write' },
      schema: { summary: 'Delete an endpoint (an operation)', params: nameParams, response: operationAnswers },
    },
    async (request, reply) => {
      const { name } = request.params;
      return startOperation(
        request,
        reply,
        {
          kind: 'deleteEndpoint',
          resource: { type: 'endpoint', name },
          run: async (controls) => {
            await client.deleteEndpoint(name, controls);
            return null;
          },
        },
        undefined,
      );
    },
  );

  // operations ------------------------------------------------------------------------------------

  app.get(
    `${API_PREFIX}/operations`,
    {
      config: { access: 'read' },
      schema: { summary: 'Running and recently finished operations, newest first', response: { 200: operationList() } },
    },
    async () => ({ operations: operations.list().map((entry) => entry.toJSON()) }),
  );

  app.get(
    `${API_PREFIX}/operations/:id`,
    {
      config: { access: 'read' },
      schema: {
        summary: 'An operation; long-polls with ?wait=<s>[&revision=<n>]',
        params: operationParams,
        querystring: operationQuery,
        response: { 200: operation, ...errors },
      },
    },
    async (request, reply) => {
      const found = findOperation(request.params.id);
      const { wait, revision } = request.query;
      await found.wait((wait ?? 0) * 1000, revision, clientGone(reply));
      return found.toJSON();
    },
  );

  app.post(
    `${API_PREFIX}/operations/:id/cancel`,
    {
      config: { access: 'write' },
      schema: {
        summary: "Abort the operation's signal (a target that honours it stops early)",
        params: operationParams,
        response: { 200: operation, ...errors },
      },
    },
    async (request) => {
      const found = findOperation(request.params.id);
      found.requestCancel();
      return found.toJSON();
    },
  );

  function findOperation(id: string) {
    const found = operations.get(id);
    if (found) return found;
    throw new BerthError(`Operation '${id}' does not exist on this server.`, {
      code: 'RESOURCE_DOES_NOT_EXIST',
      suggestions: [
        'Operations are kept in memory for an hour: after a server restart, read the resource itself (berth get / berth list).',
      ],
    });
  }
}

function optionalEndpoint(endpointName: string | undefined): { endpoint?: string } {
  return endpointName === undefined ? {} : { endpoint: endpointName };
}

/** Drops undefined values, so a target sees "not given" as an absent key (exactOptionalPropertyTypes-safe). */
function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as never;
}

function listOf<K extends string, S extends z.ZodType>(key: K, item: S) {
  return z.object({ [key]: z.array(item) } as Record<K, z.ZodArray<S>>);
}

const deploymentList = () => listOf('deployments', deployment);
const endpointList = () => listOf('endpoints', endpoint);
const operationList = () => listOf('operations', operation);
