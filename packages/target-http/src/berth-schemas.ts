import { BerthError } from '@berth/core';
import { loadZod } from './lazy-zod.js';

/**
 * What this client accepts from a Berth server (`@berth/server`'s `/api/berth/v1`, described in
 * its README). Loose where the target's own fields pass through; strict enough that an answer from
 * something else is an error that says so instead of an `undefined` further on.
 */
function buildSchemas() {
  const { z } = loadZod();
  const deployment = z.looseObject({ name: z.string() });
  const endpoint = z.looseObject({ name: z.string() });
  const progressEvent = z.looseObject({
    message: z.string(),
    state: z.string().optional(),
    elapsedMs: z.number().optional(),
    interruptHint: z.string().optional(),
  });
  const errorBody = z.looseObject({
    error_code: z.string(),
    message: z.string(),
    suggestions: z.array(z.string()).optional(),
  });
  return {
    deployment,
    deploymentList: z.looseObject({ deployments: z.array(deployment) }),
    endpoint,
    endpointList: z.looseObject({ endpoints: z.array(endpoint) }),
    explanation: z.looseObject({ explanation: z.unknown() }),
    operation: z.looseObject({
      id: z.string(),
      kind: z.string(),
      resource: z.looseObject({ type: z.string(), name: z.string() }),
      state: z.enum(['running', 'succeeded', 'failed']),
      revision: z.number(),
      progress: progressEvent.nullish(),
      events: z.array(progressEvent.extend({ seq: z.number() })).optional(),
      result: z.unknown().optional(),
      error: errorBody.nullish(),
    }),
    errorBody,
  };
}

type Schemas = ReturnType<typeof buildSchemas>;
type Infer<K extends keyof Schemas> = import('zod').infer<Schemas[K]>;
let schemas: Schemas | undefined;

/** `GET /api/berth/v1/server`, as far as this client reads it. */
export interface ServerInfo {
  server: { name: string; version: string };
  api: string;
  target?: { uri: string; name: string };
}

/**
 * Checked by hand, not with zod: every command in auto mode asks this first, `berth predict`
 * included, and zod would cost more than the prediction (it is loaded for management answers only).
 */
export function parseServerInfo(body: unknown, where: string): ServerInfo {
  const record = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const text = (value: unknown): value is string => typeof value === 'string';
  if (record(body) && record(body.server) && text(body.server.name) && text(body.server.version) && text(body.api)) {
    const target = record(body.target) && text(body.target.uri) && text(body.target.name) ? body.target : undefined;
    return {
      server: { name: body.server.name, version: body.server.version },
      api: body.api,
      ...(target ? { target: { uri: target.uri as string, name: target.name as string } } : {}),
    };
  }
  throw new BerthError(
    `${where} answered with something that is not ${DESCRIPTIONS.serverInfo}: ${JSON.stringify(body)?.slice(0, 200)}.`,
    {
      code: 'INTERNAL_ERROR',
      suggestions: [
        'Check that the target URI is the base URL of a Berth server (berth serve) or an MLflow AI Gateway.',
      ],
    },
  );
}
export type OperationResource = Infer<'operation'>;
export type ErrorBody = Infer<'errorBody'>;

/** `where` answered `body`; check it is `what` and return it typed. */
export function parseBerthAnswer<K extends keyof Schemas>(kind: K, body: unknown, where: string): Infer<K> {
  schemas ??= buildSchemas();
  const result = schemas[kind].safeParse(body);
  if (result.success) return result.data as Infer<K>;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  throw new BerthError(
    `${where} answered with something that is not ${DESCRIPTIONS[kind]}: ${path}${issue?.message ?? 'invalid'}.`,
    {
      code: 'INTERNAL_ERROR',
      suggestions: [
        'Check that the target URI is the base URL of a Berth server (berth serve) of a version this client speaks (API v1).',
      ],
    },
  );
}

/** Berth's error JSON, when the body is one; undefined otherwise (no zod needed for a miss). */
export function parseErrorBody(text: string | undefined): ErrorBody | undefined {
  if (text === undefined || !text.includes('error_code')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  schemas ??= buildSchemas();
  const result = schemas.errorBody.safeParse(parsed);
  return result.success ? result.data : undefined;
}

const DESCRIPTIONS: Record<keyof Schemas | 'serverInfo', string> = {
  serverInfo: "Berth's server description ({server, api, target})",
  deployment: 'a deployment ({name, …})',
  deploymentList: 'a list of deployments ({deployments: [...]})',
  endpoint: 'an endpoint ({name, …})',
  endpointList: 'a list of endpoints ({endpoints: [...]})',
  explanation: 'an explanation ({explanation})',
  operation: 'an operation resource ({id, kind, state, revision, …})',
  errorBody: "Berth's error JSON ({error_code, message})",
};
