import { BerthError } from './berth-error.js';
import { closestMatch } from './closest-match.js';
import type { TargetConfig } from './deployment.js';
import type { SafeParseResultLike, SchemaLike, TargetModule } from './target-module.js';

/**
 * `-C key=value` pairs → an object of strings, as MLflow's CLI does: each pair splits on the first
 * `=` (values may contain `=`); a pair without `=` and a repeated key are errors.
 */
export function parseConfigPairs(pairs: readonly string[]): Record<string, string> {
  const entries = new Map<string, string>();
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator < 0) {
      throw BerthError.invalidParameterValue(
        'Config options must be a pair and should be provided as `-C key=value` or `--config key=value`',
      );
    }
    const key = pair.slice(0, separator);
    if (key === '') {
      throw BerthError.invalidParameterValue(`Config option '${pair}' has an empty key; use \`-C key=value\`.`);
    }
    if (entries.has(key)) throw BerthError.invalidParameterValue(`Repeated parameter: '${key}'`);
    entries.set(key, pair.slice(separator + 1));
  }
  // fromEntries defines own properties, so a key such as `__proto__` stays a plain key.
  return Object.fromEntries(entries);
}

/**
 * Checks config against the target's optional `configSchema` and turns CLI strings into the types
 * the schema wants: numbers, booleans (`true`/`false`, any case, so MLflow's `"True"` works),
 * JSON for objects and arrays. Unknown keys are errors with a "did you mean" suggestion (MLflow
 * silently ignores them, which hides typos such as `bucket_name`).
 *
 * Returns only the keys given, coerced but not transformed and without defaults filled in, so the
 * target can still tell "unset" from "set to the default" and parse the result with its own schema.
 * Without a schema the config is returned unchanged.
 */
export function validateConfig(
  module: Pick<TargetModule, 'configSchema'>,
  config: Record<string, unknown>,
  targetName: string,
): TargetConfig {
  const schema = module.configSchema;
  if (!schema) return { ...config };
  const shape = schema.shape;
  const known = Object.keys(shape);
  const extraKeys = extraKeySchema(schema);
  const unknown = Object.keys(config).filter((key) => !Object.hasOwn(shape, key) && !extraKeys);
  if (unknown.length > 0) throw unknownKeysError(unknown, known, targetName);

  const result: [string, unknown][] = [];
  for (const [key, value] of Object.entries(config)) {
    const fieldSchema = Object.hasOwn(shape, key) ? (shape[key] as SchemaLike) : (extraKeys as SchemaLike);
    result.push([key, coerceValue(fieldSchema, key, value, targetName)]);
  }
  const coerced = Object.fromEntries(result);
  const whole = schema.safeParse(coerced);
  if (!whole.success) {
    const issue = whole.error.issues[0];
    const path = issue?.path?.length ? `'${issue.path.map(String).join('.')}': ` : '';
    throw BerthError.invalidParameterValue(
      `Invalid config for target '${targetName}': ${path}${issue?.message ?? 'rejected by the config schema'}`,
      { suggestions: [helpHint(targetName)] },
    );
  }
  return coerced;
}

/**
 * Tries the value as given, then as the types a CLI string may stand for; the first reading the
 * field's schema accepts wins. Only `safeParse` is used, so this works with any zod version.
 */
function coerceValue(schema: SchemaLike, key: string, value: unknown, targetName: string): unknown {
  const attempts: SafeParseResultLike[] = [];
  for (const candidate of readings(value)) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return candidate;
    attempts.push(parsed);
  }
  const expected = describeExpected(schema);
  const detail = mostTellingIssue(attempts);
  throw BerthError.invalidParameterValue(
    `Invalid value for config key '${key}' of target '${targetName}': expected ${expected ?? 'a different value'}, got ${formatValue(value)}${
      detail ? ` (${detail})` : ''
    }.`,
    { suggestions: [helpHint(targetName)] },
  );
}

function readings(value: unknown): unknown[] {
  if (typeof value !== 'string') return [value];
  const candidates: unknown[] = [value];
  const trimmed = value.trim();
  if (/^(true|false)$/i.test(trimmed)) candidates.push(trimmed.toLowerCase() === 'true');
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) candidates.push(Number(trimmed));
  if (/^[[{]/.test(trimmed) || trimmed === 'null') {
    try {
      candidates.push(JSON.parse(trimmed));
    } catch {
      // Not JSON: the plain-string reading already failed, so the error below explains it.
    }
  }
  return candidates;
}

/** A failure that is not about the type (e.g. "too small") says more than "expected number". */
function mostTellingIssue(attempts: SafeParseResultLike[]): string | undefined {
  const issues = attempts.flatMap((attempt) => (attempt.success ? [] : attempt.error.issues));
  const telling = issues.find((issue) => {
    const code = (issue as { code?: unknown }).code;
    return code !== 'invalid_type' && code !== 'invalid_union';
  });
  return (telling ?? (describeTypeOnly(issues) ? undefined : issues[0]))?.message;
}

function describeTypeOnly(issues: ReadonlyArray<{ message: string }>): boolean {
  return issues.every((issue) => (issue as { code?: unknown }).code === 'invalid_type');
}

type SchemaDefinition = {
  type?: string;
  typeName?: string;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  schema?: unknown;
  entries?: Record<string, unknown>;
  values?: unknown;
  options?: unknown[];
  catchall?: unknown;
};

function definitionOf(schema: unknown): SchemaDefinition | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const holder = schema as { def?: SchemaDefinition; _def?: SchemaDefinition };
  return holder.def ?? holder._def;
}

/**
 * A readable type for messages, from zod 4's `def.type` (or zod 3's `_def.typeName`); undefined
 * when the schema is something else, and the schema's own message is used instead.
 */
export function describeExpected(schema: unknown, depth = 0): string | undefined {
  const def = definitionOf(schema);
  if (!def || depth > 8) return undefined;
  const type = def.type ?? def.typeName?.replace(/^Zod/, '').toLowerCase();
  switch (type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return describeExpected(def.innerType, depth + 1);
    case 'nullable': {
      const inner = describeExpected(def.innerType, depth + 1);
      return inner && `${inner} or null`;
    }
    case 'pipe': {
      // z.preprocess(fn, schema) is a pipe from a transform: the user-facing type is its output.
      const input = definitionOf(def.in);
      return describeExpected(input?.type === 'transform' ? def.out : def.in, depth + 1);
    }
    case 'effects':
      return describeExpected(def.schema, depth + 1);
    case 'enum': {
      const values = def.entries ? Object.values(def.entries) : Array.isArray(def.values) ? def.values : [];
      return `one of ${values.map((value) => formatValue(value)).join(', ')}`;
    }
    case 'literal': {
      const values = Array.isArray(def.values) ? def.values : [def.values];
      return values.map((value) => formatValue(value)).join(' or ');
    }
    case 'union': {
      const parts = (def.options ?? []).map((option) => describeExpected(option, depth + 1));
      return parts.every(Boolean) ? [...new Set(parts)].join(' or ') : undefined;
    }
    case 'boolean':
      return 'boolean (true or false)';
    case 'number':
      // zod 4 marks `.int()` with an integer format (`safeint`, `int32`…); zod 3 with `isInt`.
      return isIntegerSchema(schema) ? 'integer' : 'number';
    case 'bigint':
      return type;
    case 'int':
      return 'integer';
    case 'string':
      return 'string';
    case 'object':
    case 'record':
      return 'a JSON object';
    case 'array':
    case 'tuple':
      return 'a JSON array';
    default:
      return type;
  }
}

function isIntegerSchema(schema: unknown): boolean {
  const { format, isInt } = schema as { format?: unknown; isInt?: unknown };
  return isInt === true || (typeof format === 'string' && format.includes('int'));
}

/** The schema for keys outside the shape, when the object schema accepts them (zod's catchall/loose). */
function extraKeySchema(schema: unknown): SchemaLike | undefined {
  const catchall = definitionOf(schema)?.catchall;
  if (!catchall || typeof (catchall as SchemaLike).safeParse !== 'function') return undefined;
  const type = definitionOf(catchall)?.type ?? definitionOf(catchall)?.typeName;
  return type === 'never' || type === 'ZodNever' ? undefined : (catchall as SchemaLike);
}

function unknownKeysError(unknown: string[], known: string[], targetName: string): BerthError {
  const parts = unknown.map((key) => {
    const suggestion = closestMatch(key, known);
    return suggestion ? `'${key}' (did you mean '${suggestion}'?)` : `'${key}'`;
  });
  const noun = unknown.length === 1 ? 'key' : 'keys';
  return BerthError.invalidParameterValue(`Unknown config ${noun} for target '${targetName}': ${parts.join(', ')}`, {
    suggestions: [
      known.length > 0 ? `Valid keys: ${known.join(', ')}.` : `Target '${targetName}' takes no config keys.`,
      helpHint(targetName),
    ],
  });
}

function helpHint(targetName: string): string {
  return `Run \`berth help -t ${targetName}\` for every config key with its type and default.`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
