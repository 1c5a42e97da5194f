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
 * The config keys a schema describes, read the way core reads them: its JSON Schema's
 * `properties` (zod 4's `~standard.jsonSchema`), else a zod-style `shape`. Undefined when the
 * schema tells neither.
 */
export function configKeysOf(schema: unknown): string[] | undefined {
  if (isStandardSchema(schema)) {
    const input = schema['~standard'].jsonSchema?.input;
    if (typeof input === 'function') {
      const json = input({ target: 'draft-2020-12' });
      if (isRecord(json) && isRecord(json.properties)) return Object.keys(json.properties);
    }
  }
  const shape = (schema as { shape?: unknown } | undefined)?.shape;
  return isRecord(shape) ? Object.keys(shape) : undefined;
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
