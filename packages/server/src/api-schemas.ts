import { z } from 'zod';

/*
 * The wire contract of the server: the zod schemas that validate every request and describe every
 * answer. The OpenAPI document is generated from these (openapi-document.ts), so the README describes
 * and this file decides.
 */

const name = z
  .string()
  .min(1)
  .max(512)
  .describe('A deployment or endpoint name, as the target accepts it (percent-encoded in paths)');

/** Target config: checked and coerced by the target's own config schema (core's validateConfig). */
export const targetConfig = z
  .record(z.string(), z.unknown())
  .describe("Target-specific config; keys and types are the target's (see /target/config-schema)");

export const errorBody = z
  .looseObject({
    error_code: z.string().describe("MLflow's error code, e.g. RESOURCE_DOES_NOT_EXIST"),
    message: z.string(),
    suggestions: z.array(z.string()).optional().describe('What the user can do next'),
  })
  .meta({ id: 'Error' });

export const deployment = z
  .looseObject({
    name: z.string(),
    flavor: z.string().nullable().optional(),
    modelUri: z.string().optional(),
    state: z.string().optional(),
    url: z.string().optional(),
  })
  .describe("A deployment as the target describes it: always `name`, plus the target's own fields")
  .meta({ id: 'Deployment' });

export const endpoint = z
  .looseObject({
    name: z.string(),
    url: z.string().optional(),
    traffic: z.record(z.string(), z.number()).optional(),
  })
  .describe("An endpoint as the target describes it: always `name`, plus the target's own fields")
  .meta({ id: 'Endpoint' });

export const nameParams = z.object({ name });
export const endpointQuery = z.object({ endpoint: z.string().min(1).optional() });

export const createDeploymentBody = z.strictObject({
  name,
  modelUri: z.string().min(1).describe('Model URI as the target resolves it (path, runs:/, models:/, s3://, …)'),
  flavor: z.string().min(1).optional(),
  config: targetConfig.optional(),
  endpoint: z.string().min(1).optional(),
});

export const updateDeploymentBody = z.strictObject({
  modelUri: z.string().min(1).optional(),
  flavor: z.string().min(1).optional(),
  config: targetConfig.optional(),
  endpoint: z.string().min(1).optional(),
});

export const deleteDeploymentBody = z
  .strictObject({
    config: targetConfig.optional(),
    endpoint: z.string().min(1).optional(),
  })
  .nullish()
  .describe('Optional: a DELETE may carry no body at all');

export const createEndpointBody = z.strictObject({ name, config: targetConfig.optional() });
export const updateEndpointBody = z.strictObject({ config: targetConfig.optional() });

export const predictionInputs = z
  .record(z.string(), z.unknown())
  .describe(
    'A scoring-protocol body ({"dataframe_split": …}, {"dataframe_records": …}, {"instances": …}, {"inputs": …}) or {"csv": "<text>"}',
  );

export const predictBody = z.strictObject({
  deploymentName: z.string().min(1).optional(),
  endpoint: z.string().min(1).optional(),
  inputs: predictionInputs,
  params: z.record(z.string(), z.unknown()).optional(),
});

export const predictionsResponse = z
  .looseObject({ predictions: z.unknown() })
  .describe("The target's PredictionsResponse: `predictions` plus whatever else the model answered")
  .meta({ id: 'PredictionsResponse' });

export const explainResponse = z.object({ explanation: z.unknown() });

export const progressEvent = z.object({
  message: z.string(),
  state: z.string().optional(),
  elapsedMs: z.number().optional(),
  interruptHint: z.string().optional(),
});

export const operationKind = z.enum([
  'createDeployment',
  'updateDeployment',
  'deleteDeployment',
  'createEndpoint',
  'updateEndpoint',
  'deleteEndpoint',
]);

export const operation = z
  .object({
    id: z.string(),
    kind: operationKind,
    resource: z.object({ type: z.enum(['deployment', 'endpoint']), name: z.string() }),
    state: z.enum(['running', 'succeeded', 'failed']),
    revision: z.number().int().describe('Grows by one on every change: a progress event, the finish'),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
    progress: progressEvent.nullable().describe('The last progress event the target reported'),
    events: z.array(progressEvent.extend({ seq: z.number().int(), at: z.string() })).describe('The last 50 events'),
    cancelRequested: z.boolean(),
    result: z.unknown().nullable().describe('The Deployment or Endpoint on success; null for deletes'),
    error: errorBody.nullable(),
  })
  .meta({ id: 'Operation' });

export const operationParams = z.object({ id: z.string().min(1).max(100) });

export const operationQuery = z.object({
  wait: z.coerce
    .number()
    .min(0)
    .max(60)
    .optional()
    .describe('Seconds to wait for the operation to finish (or, with `revision`, to change)'),
  revision: z.coerce.number().int().min(0).optional().describe('Answer as soon as the revision is not this one'),
});

export const serverInfo = z.object({
  server: z.object({ name: z.string(), version: z.string() }),
  api: z.literal('v1'),
  target: z.object({
    uri: z.string(),
    name: z.string(),
    packageName: z.string(),
    packageVersion: z.string(),
    specificationVersion: z.string().nullable(),
  }),
});

export const targetHelpResponse = z.object({ target: z.string(), help: z.string() });
export const configSchemaResponse = z.object({
  target: z.string(),
  jsonSchema: z.record(z.string(), z.unknown()).nullable(),
});

// MLflow's deployments-server shapes (§2.9/§2.10 of the reference) ------------------------------

export const mlflowEndpoint = z
  .object({
    name: z.string(),
    endpoint_type: z.string().describe('berth/deployment or berth/endpoint'),
    model: z.object({ name: z.string().nullable(), provider: z.string() }),
    endpoint_url: z.string().describe('The path to POST predictions to, relative to the server'),
    limit: z.null(),
  })
  .meta({ id: 'MlflowEndpoint' });

export const mlflowListQuery = z.object({ page_token: z.string().optional() });
export const mlflowListResponse = z.object({
  endpoints: z.array(mlflowEndpoint),
  next_page_token: z.string().optional(),
});

export const mlflowNotFound = z.looseObject({ detail: z.string(), error_code: z.string(), message: z.string() });

export type OperationJSON = z.infer<typeof operation>;
export type ProgressEventJSON = z.infer<typeof progressEvent>;
export type OperationKind = z.infer<typeof operationKind>;
export type MlflowEndpointJSON = z.infer<typeof mlflowEndpoint>;
