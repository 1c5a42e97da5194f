/**
 * What core knows of a target's config schema: the Standard Schema interface (`~standard.validate`,
 * which zod, valibot and arktype implement) for checking, and a JSON Schema (Standard JSON Schema's
 * `~standard.jsonSchema`, which zod 4 implements, or one the target exports as `configJsonSchema`)
 * for describing keys. Core never imports a schema library and never reads a library's internals.
 */

/** One problem Standard Schema reports. */
export interface ConfigIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

export type ConfigValidationResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<ConfigIssue> };

/** The part of Standard Schema v1 (and Standard JSON Schema v1) core uses. */
export interface ConfigSchema {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    validate(value: unknown): ConfigValidationResult | Promise<ConfigValidationResult>;
    readonly jsonSchema?: {
      input(options: { target: string }): Record<string, unknown>;
    };
  };
}

/** A JSON Schema node, as far as core reads one. */
export type JsonSchema = Record<string, unknown>;

/** One config key, described for help and for "did you mean". */
export interface ConfigKey {
  name: string;
  /** Readable type: `integer`, `boolean (true or false)`, `one of 'a', 'b'`, `a JSON object`, … */
  type: string;
  /** The JSON types a value may have (`string`, `integer`, `number`, `boolean`, `object`, `array`, `null`). */
  jsonTypes: string[];
  /** The default as text, when the schema states one (`default`, or a `defaultDescription`). */
  defaultText?: string;
  description?: string;
  schema: JsonSchema;
}

export interface ConfigDescription {
  keys: ConfigKey[];
  /** Schema for keys outside `keys`; `false` when unknown keys are refused (the default), `true` when anything goes. */
  extraKeys: JsonSchema | boolean;
}

export function isConfigSchema(value: unknown): value is ConfigSchema {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const standard = (value as { '~standard'?: { validate?: unknown } })['~standard'];
  return typeof standard === 'object' && standard !== null && typeof standard.validate === 'function';
}

/**
 * The JSON Schema of a config schema: the one given, else Standard JSON Schema's input form; undefined
 * when the library offers neither (core then validates without describing keys).
 */
export function configJsonSchema(schema: ConfigSchema, given?: unknown): JsonSchema | undefined {
  if (isRecord(given)) return given as JsonSchema;
  const converter = schema['~standard'].jsonSchema;
  if (!converter || typeof converter.input !== 'function') return undefined;
  try {
    return converter.input({ target: 'draft-2020-12' });
  } catch {
    // Some schemas (custom refinements) cannot be represented; describing keys is a nicety.
    return undefined;
  }
}

/** Keys, types and defaults from an object JSON Schema; undefined when it is not an object schema. */
export function describeConfig(jsonSchema: JsonSchema): ConfigDescription | undefined {
  const root = resolveReference(jsonSchema, jsonSchema);
  if (!isRecord(root.properties)) return undefined;
  const keys = Object.entries(root.properties).map(([name, raw]) => describeKey(name, raw, jsonSchema));
  // Config keys outside the schema are refused unless it says otherwise (`additionalProperties: true`
  // or a schema): a key that would be ignored or stripped is almost always a typo (MLflow's
  // silently ignored `bucket_name`). zod's plain `z.object` strips unknown keys, so it counts as strict.
  const additional = root.additionalProperties;
  const extraKeys = isRecord(additional) ? additional : additional === true;
  return { keys, extraKeys };
}

function describeKey(name: string, raw: unknown, root: JsonSchema): ConfigKey {
  const schema = resolveReference(isRecord(raw) ? raw : {}, root);
  const key: ConfigKey = { name, type: describeType(schema, root), jsonTypes: jsonTypesOf(schema, root), schema };
  const defaultText = describeDefault(schema);
  if (defaultText !== undefined) key.defaultText = defaultText;
  if (typeof schema.description === 'string') key.description = schema.description;
  return key;
}

function describeDefault(schema: JsonSchema): string | undefined {
  if (typeof schema.defaultDescription === 'string') return schema.defaultDescription;
  if (schema.default === undefined) return undefined;
  return formatJson(schema.default);
}

/** `$ref: "#/$defs/x"` → the referenced node (one hop at a time, as zod writes them). */
export function resolveReference(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema {
  const reference = schema.$ref;
  if (typeof reference !== 'string' || depth > 16 || !reference.startsWith('#/')) return schema;
  let node: unknown = root;
  for (const part of reference.slice(2).split('/')) {
    node = isRecord(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return isRecord(node) ? resolveReference({ ...schema, ...node, $ref: undefined }, root, depth + 1) : schema;
}

function alternativesOf(schema: JsonSchema): JsonSchema[] | undefined {
  const options = schema.anyOf ?? schema.oneOf;
  return Array.isArray(options) ? options.filter(isRecord) : undefined;
}

/** Every JSON type a value of this schema may have. */
export function jsonTypesOf(schema: JsonSchema, root: JsonSchema, depth = 0): string[] {
  const node = resolveReference(schema, root);
  const alternatives = alternativesOf(node);
  if (alternatives && depth < 8) {
    return [...new Set(alternatives.flatMap((option) => jsonTypesOf(option, root, depth + 1)))];
  }
  if (Array.isArray(node.enum)) return [...new Set(node.enum.map(jsonTypeOfValue))];
  if (node.const !== undefined) return [jsonTypeOfValue(node.const)];
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.type)) return node.type.filter((type): type is string => typeof type === 'string');
  return ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];
}

function jsonTypeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean (true or false)',
  object: 'a JSON object',
  array: 'a JSON array',
  null: 'null',
};

/** A readable type for help and messages. */
export function describeType(schema: JsonSchema, root: JsonSchema, depth = 0): string {
  const node = resolveReference(schema, root);
  const alternatives = alternativesOf(node);
  if (alternatives && depth < 8) {
    return [...new Set(alternatives.map((option) => describeType(option, root, depth + 1)))].join(' or ');
  }
  if (Array.isArray(node.enum)) return `one of ${node.enum.map(formatJson).join(', ')}`;
  if (node.const !== undefined) return formatJson(node.const);
  const types = jsonTypesOf(node, root);
  if (types.length > 6) return 'any value';
  return types.map((type) => TYPE_WORDS[type] ?? type).join(' or ');
}

function formatJson(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The config-key table a target's `targetHelp()` shows, generated from its `configSchema` so the help
 * and the schema cannot drift: one line per key with its type, default and description.
 */
export function formatConfigHelp(schema: unknown, options: { jsonSchema?: unknown; indent?: string } = {}): string {
  const indent = options.indent ?? '  ';
  const jsonSchema = isConfigSchema(schema) ? configJsonSchema(schema, options.jsonSchema) : undefined;
  const description = jsonSchema ? describeConfig(jsonSchema) : undefined;
  if (!description) return `${indent}(this target's config schema does not describe its keys)`;
  if (description.keys.length === 0) return `${indent}(no config keys)`;
  const rows = description.keys.map((key) => [key.name, key.type, key.defaultText ?? '—', key.description ?? '']);
  const header = ['key', 'type', 'default', 'description'];
  const widths = header.map((title, column) =>
    Math.min(column === 1 ? 28 : 40, Math.max(title.length, ...rows.map((row) => (row[column] as string).length))),
  );
  const line = (cells: string[]) =>
    `${indent}${cells
      .map((cell, column) => (column < cells.length - 1 ? cell.padEnd(widths[column] as number) : cell))
      .join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
