import { configJsonSchema, describeConfig } from '@berth/core/registry';
import { isRecord } from './contract-violation.js';

/** The Standard Schema interface (standardschema.dev), as much of it as the suite reads. */
interface StandardSchemaLike {
  readonly '~standard': {
    readonly validate: (value: unknown) => unknown;
    readonly jsonSchema?: { readonly input?: (options: { target: string }) => unknown };
  };
}

export function isStandardSchema(value: unknown): value is StandardSchemaLike {
  if (typeof value !== 'object' || value === null) return false;
  const standard = (value as { '~standard'?: unknown })['~standard'];
  return isRecord(standard) && typeof standard.validate === 'function';
}

/**
 * The config keys a schema describes, read by core itself (`configJsonSchema` + `describeConfig`
 * from `@berth/core/registry`): the module's `configJsonSchema`, else the schema's Standard JSON
 * Schema. Undefined when neither describes an object.
 */
export function configKeysOf(schema: unknown, givenJsonSchema?: unknown): string[] | undefined {
  if (!isStandardSchema(schema)) return undefined;
  const json = configJsonSchema(schema as Parameters<typeof configJsonSchema>[0], givenJsonSchema);
  return json === undefined ? undefined : describeConfig(json)?.keys.map((key) => key.name);
}

/** True when the schema refuses `value`: Standard Schema issues, or a failed `safeParse`. */
export async function schemaRefuses(schema: unknown, value: unknown): Promise<boolean> {
  if (isStandardSchema(schema)) {
    const result = (await schema['~standard'].validate(value)) as { issues?: readonly unknown[] };
    return Array.isArray(result.issues) && result.issues.length > 0;
  }
  const safeParse = (schema as { safeParse?: (v: unknown) => { success: boolean } } | undefined)?.safeParse;
  if (typeof safeParse !== 'function') return false;
  return !safeParse.call(schema, value).success;
}
