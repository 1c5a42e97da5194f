import { BerthError } from '@berth/core';
import { closestMatch } from '@berth/core/internal';
import type { z } from 'zod';
import { lazyObjectSchema, loadZod } from './lazy-schema.js';

/**
 * Config of the local target. Values arrive typed from code or as strings from `-C key=value`, so
 * every field coerces strings itself (whether or not core coerces first).
 */

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

function buildSchema() {
  const { z } = loadZod();
  const emptyToUndefined = (value: unknown): unknown => (value === '' ? undefined : value);

  const integer = (min: number, max: number) =>
    z.preprocess((value) => {
      const v = emptyToUndefined(value);
      return typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    }, z.number().int().min(min).max(max));

  const seconds = z.preprocess((value) => {
    const v = emptyToUndefined(value);
    return typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }, z.number().positive());

  const flag = z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off', ''].includes(v)) return false;
    return value;
  }, z.boolean());

  const jsonObject = <T extends z.ZodType>(inner: T) =>
    z.preprocess((value) => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    }, inner);

  const traffic = z.preprocess(
    parseTraffic,
    z
      .record(z.string(), z.number().min(0).max(1_000_000))
      .refine((t) => Object.keys(t).length > 0, 'traffic must name at least one deployment')
      .refine((t) => Object.values(t).some((w) => w > 0), 'at least one weight must be above 0'),
  );

  return z
    .object({
      port: integer(0, 65535).optional().describe('TCP port; 0 or unset picks a free port'),
      host: z.string().min(1).optional().describe('interface to bind; 127.0.0.1 by default'),
      allow_remote: flag.optional().describe('required to bind anything but loopback'),
      workers: integer(0, 64).optional().describe('inference worker threads'),
      max_batch_size: integer(1, 100_000).optional().describe('dynamic batching: rows per batch'),
      max_batch_delay_ms: z
        .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(0).max(60_000))
        .optional()
        .describe('dynamic batching: longest wait for a batch to fill'),
      timeout: seconds.optional().describe('per-request timeout in seconds'),
      env: jsonObject(z.record(z.string(), z.string())).optional().describe('extra environment for the server'),
      allow_code: flag.optional().describe('allow the js flavor to run model code'),
      readiness_timeout: seconds.optional().describe('seconds to wait for a new process or model to become ready'),
      restart_limit: integer(0, 1000).optional().describe('crash restarts allowed within 60 s before giving up'),
      rollback_to: integer(1, Number.MAX_SAFE_INTEGER).optional().describe('update only: restore this version'),
      traffic: traffic.optional().describe('endpoints only: deployment → weight'),
    })
    .strict();
}

export type LocalConfigSchema = ReturnType<typeof buildSchema>;
let built: LocalConfigSchema | undefined;

function localConfigSchema(): LocalConfigSchema {
  built ??= buildSchema();
  return built;
}

/** The local target's config schema (a zod object; built on first use so listing never loads zod). */
export const configSchema: LocalConfigSchema = lazyObjectSchema(localConfigSchema);

export type LocalConfig = z.infer<LocalConfigSchema>;

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
] as const;

export const DEFAULTS = {
  host: '127.0.0.1',
  readinessTimeoutSeconds: 60,
  restartLimit: 5,
  runLocalPort: 5000,
} as const;

/** Parses outside config into `LocalConfig`; unknown keys and bad values are INVALID_PARAMETER_VALUE. */
export function parseLocalConfig(config: Record<string, unknown> | undefined): LocalConfig {
  const result = localConfigSchema().safeParse(config ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `unknown config key(s): ${issue.keys.map(withSuggestion).join(', ')}`;
    const key = issue.path.join('.');
    return `${key}: ${issue.message}`;
  });
  throw BerthError.invalidParameterValue(`Invalid config for the local target: ${problems.join('; ')}.`, {
    suggestions: ["Run 'berth help -t local' to see every config key with its type and default."],
  });
}

/** `trafic` → `trafic (did you mean 'traffic'?)`: endpoint commands reach here without the CLI's schema check. */
function withSuggestion(key: string): string {
  const known = Object.keys(localConfigSchema().shape);
  const suggestion = closestMatch(key, known);
  return suggestion ? `${key} (did you mean '${suggestion}'?)` : key;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Binding beyond loopback exposes an unauthenticated inference API: it needs an explicit opt-in. */
export function checkHost(config: LocalConfig, warn: (message: string) => void): string {
  const host = config.host ?? DEFAULTS.host;
  if (isLoopback(host)) return host;
  if (config.allow_remote !== true) {
    throw BerthError.invalidParameterValue(
      `Refusing to bind ${host}: the deployment would be reachable from other machines without authentication (opt in with -C allow_remote=true).`,
      { suggestions: [`Add -C allow_remote=true to bind ${host} anyway, or leave host unset for 127.0.0.1.`] },
    );
  }
  warn(`warning: binding ${host}; the scoring API has no authentication and is reachable beyond this machine.`);
  return host;
}

/** The process-shaping part of a config (what a version records). */
export function processConfig(config: LocalConfig): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of PROCESS_KEYS) if (config[key] !== undefined) kept[key] = config[key];
  return kept;
}
