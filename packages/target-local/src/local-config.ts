import { resolve } from 'node:path';
import { BerthError } from '@berth/core';
import { closestMatch } from '@berth/core/internal';
import type { z } from 'zod';
import { lazyObjectSchema, loadZod } from './lazy-schema.js';

/**
 * Config of the local target, one table of keys. From it come both schemas: `configSchema` (what
 * core validates `-C key=value` against, and whose JSON Schema — committed beside it as
 * `config-json-schema.ts` — gives `berth help -t local` its key table) and the target's own
 * parser, which also takes the strings an API caller may pass (`{ workers: '2' }`) and fills no
 * defaults, so a version records only what was asked for.
 */

type Zod = typeof import('zod').z;

/** How a string from outside is read for the key. */
type Reading = 'integer' | 'number' | 'boolean' | 'string' | 'path' | 'json' | 'traffic';

interface KeySpec {
  reading: Reading;
  schema: (z: Zod) => z.ZodType;
  description: string;
  /** A constant default (shown in help; the code applies it where the key is read). */
  default?: unknown;
  /** A default that is not a constant, in words. */
  defaultDescription?: string;
  /** The key also has a text form that the CLI passes through as typed (`traffic=a:80,b:20`). */
  text?: true;
}

/** `{"a":80,"b":20}` (JSON) or `a:80,b:20` (also `a=80`) → `{a: 80, b: 20}`. */
export function parseTraffic(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      return value;
    }
  }
  const traffic: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const match = /^\s*([^:=\s]+)\s*[:=]\s*([^\s]+)\s*$/.exec(part);
    if (!match) return value;
    const [, name, weight] = match as unknown as [string, string, string];
    traffic[name] = Number(weight);
  }
  return traffic;
}

const seconds = (z: Zod) => z.number().positive();

const KEYS = {
  port: {
    reading: 'integer',
    schema: (z) => z.number().int().min(0).max(65535),
    description: 'TCP port to listen on; 0 picks a free one',
    defaultDescription: 'a free port (run-local: 5000)',
  },
  host: {
    reading: 'string',
    schema: (z) => z.string().min(1),
    description: 'interface to bind; anything but loopback needs auth_token_file (or allow_remote=true)',
    default: '127.0.0.1',
  },
  allow_remote: {
    reading: 'boolean',
    schema: (z) => z.boolean(),
    description: 'bind a non-loopback host without auth_token_file (prints a warning)',
    default: false,
  },
  workers: {
    reading: 'integer',
    schema: (z) => z.number().int().min(0).max(64),
    description: 'inference worker threads (0: on the event loop)',
    defaultDescription: 'CPU cores - 1, from 1 to 4',
  },
  max_batch_size: {
    reading: 'integer',
    schema: (z) => z.number().int().min(1).max(100_000),
    description: 'dynamic batching: rows per merged model run',
    defaultDescription: 'off',
  },
  max_batch_delay_ms: {
    reading: 'number',
    schema: (z) => z.number().min(0).max(60_000),
    description: 'dynamic batching: longest wait for a batch to fill',
    default: 2,
  },
  timeout: {
    reading: 'number',
    schema: seconds,
    description: 'seconds one request may take (then 504)',
    defaultDescription: '60 (or MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT)',
  },
  env: {
    reading: 'json',
    schema: (z) => z.record(z.string(), z.string()),
    description: 'extra environment of the server, e.g. env=\'{"A":"1"}\'',
    default: {},
  },
  allow_code: {
    reading: 'boolean',
    schema: (z) => z.boolean(),
    description: "run a js-flavor model's own code",
    default: false,
  },
  readiness_timeout: {
    reading: 'number',
    schema: seconds,
    description: 'seconds a new process or model has to become ready',
    default: 60,
  },
  restart_limit: {
    reading: 'integer',
    schema: (z) => z.number().int().min(0).max(1000),
    description: 'crash restarts allowed within 60 s before the state is crashed',
    default: 5,
  },
  liveness_interval: {
    reading: 'number',
    schema: (z) => z.number().min(0.05).max(3600),
    description: 'seconds between liveness probes (GET /ping) of the server or router',
    default: 0.5,
  },
  liveness_timeout: {
    reading: 'number',
    schema: (z) => z.number().min(0.01).max(3600),
    description: 'seconds one liveness probe waits for any answer (at most liveness_interval)',
    default: 0.5,
  },
  liveness_failures: {
    reading: 'integer',
    schema: (z) => z.number().int().min(0).max(1000),
    description: 'probes missed in a row that make the process hung: it is killed and the standby serves (0: off)',
    default: 3,
  },
  max_rss_mb: {
    reading: 'number',
    schema: (z) => z.number().positive().max(1_048_576),
    description: 'replace the server once its resident memory passes this many MB (it drains, then restarts)',
    defaultDescription: 'no limit',
  },
  auth_token_file: {
    reading: 'path',
    schema: (z) => z.string().min(1),
    description: 'require Authorization: Bearer <token in this file> (16+ characters); /ping and /health stay open',
    defaultDescription: 'no auth (loopback only)',
  },
  rollback_to: {
    reading: 'integer',
    schema: (z) => z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    description: 'update only: restore this version (as a new one)',
    defaultDescription: '—',
  },
  traffic: {
    reading: 'traffic',
    schema: (z) =>
      z
        .record(z.string(), z.number().min(0).max(1_000_000))
        .refine((t) => Object.keys(t).length > 0, 'traffic must name at least one deployment')
        .refine((t) => Object.values(t).some((w) => w > 0), 'at least one weight must be above 0'),
    text: true,
    description: 'endpoints only: deployment -> weight, as JSON or a:80,b:20',
    defaultDescription: '—',
  },
} satisfies Record<string, KeySpec>;

type KeyName = keyof typeof KEYS;

/** What the code reads when a key is unset. */
export const DEFAULTS = {
  host: KEYS.host.default,
  readinessTimeoutSeconds: KEYS.readiness_timeout.default,
  restartLimit: KEYS.restart_limit.default,
  livenessIntervalSeconds: KEYS.liveness_interval.default,
  livenessTimeoutSeconds: KEYS.liveness_timeout.default,
  livenessFailures: KEYS.liveness_failures.default,
  runLocalPort: 5000,
} as const;

function buildConfigSchema(z: Zod) {
  const shape = Object.fromEntries(
    Object.entries(KEYS).map(([name, key]: [string, KeySpec]) => {
      let schema: z.ZodType = key.text ? z.union([key.schema(z), z.string().min(1)]) : key.schema(z);
      schema = schema.describe(key.description);
      if (key.defaultDescription !== undefined) schema = schema.meta({ defaultDescription: key.defaultDescription });
      schema = key.default !== undefined ? schema.default(key.default as never) : schema.optional();
      return [name, schema];
    }),
  );
  return z.strictObject(shape);
}

function read(reading: Reading, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  switch (reading) {
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : value;
    case 'number':
      return text !== '' && !Number.isNaN(Number(text)) ? Number(text) : value;
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off'].includes(lower)) return false;
      return value;
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        return value;
      }
    case 'path':
      // Processes started later read it from elsewhere: keep it absolute, as given from here.
      return text === '' ? value : resolve(text);
    case 'traffic':
      return parseTraffic(value);
    default:
      return value;
  }
}

function buildParser(z: Zod) {
  const shape = Object.fromEntries(
    Object.entries(KEYS).map(([name, key]: [string, KeySpec]) => {
      // An empty string means "unset", as `-C key=` does for MLflow.
      const schema = z.preprocess(
        (value) => (value === '' ? undefined : read(key.reading, value)),
        key.schema(z).optional(),
      );
      return [name, schema];
    }),
  );
  return z.strictObject(shape);
}

export type LocalConfigSchema = ReturnType<typeof buildConfigSchema>;

/** The parsed config: each key as its schema types it, absent when unset. */
export type LocalConfig = {
  port?: number;
  host?: string;
  allow_remote?: boolean;
  workers?: number;
  max_batch_size?: number;
  max_batch_delay_ms?: number;
  timeout?: number;
  env?: Record<string, string>;
  allow_code?: boolean;
  readiness_timeout?: number;
  restart_limit?: number;
  liveness_interval?: number;
  liveness_timeout?: number;
  liveness_failures?: number;
  max_rss_mb?: number;
  auth_token_file?: string;
  rollback_to?: number;
  traffic?: Record<string, number>;
};

let schema: LocalConfigSchema | undefined;
let parser: ReturnType<typeof buildParser> | undefined;

/**
 * The local target's config schema (zod, through Standard Schema). Built on first use: listing
 * never loads zod (zod costs 100-250 ms to import).
 */
export const configSchema: LocalConfigSchema = lazyObjectSchema(() => {
  schema ??= buildConfigSchema(loadZod().z);
  return schema;
});

/** Parses outside config into `LocalConfig`; unknown keys and bad values are INVALID_PARAMETER_VALUE. */
export function parseLocalConfig(config: Record<string, unknown> | undefined): LocalConfig {
  parser ??= buildParser(loadZod().z);
  const result = parser.safeParse(config ?? {});
  if (result.success) return result.data as LocalConfig;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `unknown config key(s): ${issue.keys.map(withSuggestion).join(', ')}`;
    return `${issue.path.join('.')}: ${issue.message}`;
  });
  throw BerthError.invalidParameterValue(`Invalid config for the local target: ${problems.join('; ')}.`, {
    suggestions: ["Run 'berth help -t local' to see every config key with its type and default."],
  });
}

/** `trafic` → `trafic (did you mean 'traffic'?)`: endpoint commands reach here without the CLI's schema check. */
function withSuggestion(key: string): string {
  const suggestion = closestMatch(key, Object.keys(KEYS));
  return suggestion ? `${key} (did you mean '${suggestion}'?)` : key;
}

/** Keys kept with a deployment version (everything that shapes the process). */
export const PROCESS_KEYS = [
  'port',
  'host',
  'allow_remote',
  'workers',
  'max_batch_size',
  'max_batch_delay_ms',
  'timeout',
  'env',
  'allow_code',
  'restart_limit',
  'liveness_interval',
  'liveness_timeout',
  'liveness_failures',
  'max_rss_mb',
  'auth_token_file',
] as const satisfies readonly KeyName[];

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Binding beyond loopback exposes the inference API to other machines: it needs a token
 * (`auth_token_file`), or an explicit waiver (`allow_remote=true`) when something in front of it
 * authenticates.
 */
export function checkHost(config: LocalConfig, warn: (message: string) => void): string {
  const host = config.host ?? DEFAULTS.host;
  if (isLoopback(host) || config.auth_token_file !== undefined) return host;
  if (config.allow_remote !== true) {
    throw BerthError.invalidParameterValue(
      `Refusing to bind ${host} without authentication: every machine that can reach it could use the model.`,
      {
        suggestions: [
          `Require a token: openssl rand -hex 24 > token.txt && chmod 600 token.txt, then add -C auth_token_file=token.txt`,
          `Or, if something in front of it authenticates requests, waive this with -C allow_remote=true`,
          'Or leave host unset for 127.0.0.1.',
        ],
      },
    );
  }
  warn(`warning: binding ${host} without auth_token_file; the scoring API is open to every machine that reaches it.`);
  return host;
}

/** The process-shaping part of a config (what a version records). */
export function processConfig(config: LocalConfig): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of PROCESS_KEYS) if (config[key] !== undefined) kept[key] = config[key];
  return kept;
}
