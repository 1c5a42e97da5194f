import { BerthError } from './berth-error.js';
import { closestMatch } from './closest-match.js';
import {
  type ConfigDescription,
  type ConfigIssue,
  type ConfigSchema,
  configJsonSchema,
  describeConfig,
  type JsonSchema,
  jsonTypesOf,
  resolveReference,
} from './config-schema.js';
import type { TargetConfig } from './deployment.js';
import type { TargetModule } from './target-module.js';

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
 * The schema is used through Standard Schema (`~standard.validate`) and its JSON Schema
 * (`configJsonSchema` from the module, or Standard JSON Schema's `~standard.jsonSchema`), so a target
 * may use zod, valibot or arktype. Returns only the keys given, coerced but not transformed and
 * without defaults filled in, so the target can still tell "unset" from "set to the default".
 * Without a schema the config is returned unchanged.
 */
export async function validateConfig(
  module: Pick<TargetModule, 'configSchema' | 'configJsonSchema'>,
  config: Record<string, unknown>,
  targetName: string,
): Promise<TargetConfig> {
  const schema = module.configSchema;
  if (!schema) return { ...config };
  const jsonSchema = configJsonSchema(schema, module.configJsonSchema);
  const description = jsonSchema ? describeConfig(jsonSchema) : undefined;
  const coerced = description
    ? coerceByDescription(config, description, jsonSchema as JsonSchema, targetName)
    : await coerceByTrial(schema, config);
  const issues = await validationIssues(schema, coerced);
  if (issues.length > 0) throw configError(issues, coerced, config, description, targetName);
  return coerced;
}

async function validationIssues(schema: ConfigSchema, value: unknown): Promise<ReadonlyArray<ConfigIssue>> {
  const result = await schema['~standard'].validate(value);
  return result.issues ?? [];
}

/** Coerces each key by the JSON types its schema allows; unknown keys are refused first. */
function coerceByDescription(
  config: Record<string, unknown>,
  description: ConfigDescription,
  root: JsonSchema,
  targetName: string,
): TargetConfig {
  const byName = new Map(description.keys.map((key) => [key.name, key]));
  const known = description.keys.map((key) => key.name);
  const unknown = Object.keys(config).filter((key) => !byName.has(key) && description.extraKeys === false);
  if (unknown.length > 0) throw unknownKeysError(unknown, known, targetName);
  const entries = Object.entries(config).map(([key, value]): [string, unknown] => {
    const declared =
      byName.get(key)?.schema ?? (typeof description.extraKeys === 'object' ? description.extraKeys : undefined);
    return [key, declared ? coerceValue(value, declared, root) : value];
  });
  // fromEntries defines own properties, so a key such as `__proto__` stays a plain key.
  return Object.fromEntries(entries);
}

/**
 * A CLI string the key does not take as text, read as the first JSON type the key allows; other
 * values are left as given (validation then explains what is wrong).
 */
function coerceValue(value: unknown, schema: JsonSchema, root: JsonSchema): unknown {
  if (typeof value !== 'string' || acceptsText(schema, value, root)) return value;
  const types = jsonTypesOf(schema, root);
  for (const candidate of readings(value).slice(1)) {
    if (types.includes(jsonType(candidate))) return candidate;
    if (typeof candidate === 'number' && Number.isInteger(candidate) && types.includes('number')) return candidate;
  }
  return value;
}

/** True when the key takes this exact string: a free string type, or a listed enum/const value. */
function acceptsText(schema: JsonSchema, text: string, root: JsonSchema, depth = 0): boolean {
  const node = resolveReference(schema, root);
  const options = node.anyOf ?? node.oneOf;
  if (Array.isArray(options) && depth < 8) {
    return options.some((option) => isRecord(option) && acceptsText(option, text, root, depth + 1));
  }
  if (Array.isArray(node.enum)) return node.enum.includes(text);
  if (node.const !== undefined) return node.const === text;
  const type = node.type;
  if (type === undefined) return true;
  return type === 'string' || (Array.isArray(type) && type.includes('string'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Without a JSON Schema, readings of each string are tried until the whole config validates; the
 * first key order that validates wins. Used only for schema libraries that cannot describe themselves.
 */
async function coerceByTrial(schema: ConfigSchema, config: Record<string, unknown>): Promise<TargetConfig> {
  const result: Record<string, unknown> = Object.fromEntries(Object.entries(config));
  if ((await validationIssues(schema, result)).length === 0) return result;
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string') continue;
    const before = (await validationIssues(schema, result)).filter((issue) => firstKey(issue) === key).length;
    for (const candidate of readings(value).slice(1)) {
      const attempt = { ...result, [key]: candidate };
      const after = (await validationIssues(schema, attempt)).filter((issue) => firstKey(issue) === key).length;
      if (after < before) {
        result[key] = candidate;
        break;
      }
    }
  }
  return result;
}

function readings(value: string): unknown[] {
  const candidates: unknown[] = [value];
  const trimmed = value.trim();
  if (/^(true|false)$/i.test(trimmed)) candidates.push(trimmed.toLowerCase() === 'true');
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) candidates.push(Number(trimmed));
  if (/^[[{]/.test(trimmed) || trimmed === 'null') {
    try {
      candidates.push(JSON.parse(trimmed));
    } catch {
      // Not JSON: the plain-string reading stays, and validation explains what is wrong.
    }
  }
  return candidates;
}

function firstKey(issue: ConfigIssue): string | undefined {
  const first = issue.path?.[0];
  if (first === undefined) return undefined;
  return String(typeof first === 'object' && first !== null ? first.key : first);
}

/** The first issue, phrased for the key it is about (with the expected type) or for the whole config. */
function configError(
  issues: ReadonlyArray<ConfigIssue>,
  coerced: Record<string, unknown>,
  given: Record<string, unknown>,
  description: ConfigDescription | undefined,
  targetName: string,
): BerthError {
  const unrecognized = issues.find((issue) => Array.isArray((issue as { keys?: unknown }).keys));
  if (unrecognized && !description) {
    const keys = (unrecognized as unknown as { keys: string[] }).keys;
    return unknownKeysError(keys, [], targetName);
  }
  const issue = issues[0] as ConfigIssue;
  const key = firstKey(issue);
  if (key !== undefined && Object.hasOwn(coerced, key)) {
    const declared = description?.keys.find((candidate) => candidate.name === key);
    const rest = issue.path && issue.path.length > 1 ? ` at '${issue.path.slice(1).map(pathPart).join('.')}'` : '';
    return BerthError.invalidParameterValue(
      `Invalid value for config key '${key}' of target '${targetName}': expected ${declared?.type ?? 'a different value'}, got ${formatValue(given[key])} (${issue.message}${rest}).`,
      { suggestions: [helpHint(targetName)] },
    );
  }
  const path = issue.path?.length ? `'${issue.path.map(pathPart).join('.')}': ` : '';
  return BerthError.invalidParameterValue(`Invalid config for target '${targetName}': ${path}${issue.message}`, {
    suggestions: [helpHint(targetName)],
  });
}

function pathPart(part: PropertyKey | { readonly key: PropertyKey }): string {
  return String(typeof part === 'object' && part !== null ? part.key : part);
}

function unknownKeysError(unknown: string[], known: string[], targetName: string): BerthError {
  const parts = unknown.map((key) => {
    const suggestion = closestMatch(key, known);
    return suggestion ? `'${key}' (did you mean '${suggestion}'?)` : `'${key}'`;
  });
  const noun = unknown.length === 1 ? 'key' : 'keys';
  return BerthError.invalidParameterValue(`Unknown config ${noun} for target '${targetName}': ${parts.join(', ')}`, {
    suggestions: [...(known.length > 0 ? [`Valid keys: ${known.join(', ')}.`] : []), helpHint(targetName)],
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
