import { BerthError } from '@berth/core';
import { loadZod } from './lazy-zod.js';

/**
 * Shapes of an MLflow AI Gateway's answers (`mlflow/deployments/server/config.py`'s `Endpoint`,
 * and the list page `{endpoints, next_page_token}`). Loose: newer gateways add fields, and what a
 * caller may want is passed on.
 */
function buildSchemas() {
  const { z } = loadZod();
  const endpoint = z.looseObject({
    name: z.string(),
    endpoint_type: z.string().optional(),
    model: z.looseObject({ name: z.string().nullish(), provider: z.string().optional() }).optional(),
    endpoint_url: z.string().optional(),
    limit: z
      .looseObject({ calls: z.number().optional(), key: z.string().nullish(), renewal_period: z.string().optional() })
      .nullish(),
  });
  const page = z.looseObject({
    endpoints: z.array(endpoint).optional(),
    next_page_token: z.string().nullish(),
  });
  return { endpoint, page };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;

export type GatewayEndpoint = import('zod').infer<Schemas['endpoint']>;
export type GatewayEndpointPage = import('zod').infer<Schemas['page']>;

export function parseGatewayEndpoint(body: unknown, where: string): GatewayEndpoint {
  schemas ??= buildSchemas();
  return parseWith(schemas.endpoint, body, where, 'an MLflow endpoint ({name, endpoint_type, model, endpoint_url})');
}

export function parseGatewayPage(body: unknown, where: string): GatewayEndpointPage {
  schemas ??= buildSchemas();
  return parseWith(schemas.page, body, where, 'a page of MLflow endpoints ({endpoints, next_page_token})');
}

function parseWith<T>(
  schema: {
    safeParse(
      value: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  body: unknown,
  where: string,
  what: string,
): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  throw new BerthError(`${where} answered with something that is not ${what}: ${path}${issue?.message ?? 'invalid'}.`, {
    code: 'INTERNAL_ERROR',
    suggestions: ['Check that the target URI is the base URL of an MLflow AI Gateway (or a Berth server).'],
  });
}
