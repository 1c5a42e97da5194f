import { BerthError, type TargetConfig } from '@berth/core';
import { z } from 'zod';

/** The target name: the scheme of its URIs, what users pass to `berth … -t`. */
export const TARGET_NAME = '__id__';

/**
 * The target's config keys (`-C key=value` on the CLI, `config` from code). Berth's CLI checks
 * them against this schema, refuses unknown keys with a "did you mean", and turns the strings
 * into the JSON type each key has; `targetHelp()` prints a table generated from it.
 * Replace the example keys with your own; keep `.describe()` on each one.
 */
export const configSchema = z.strictObject({
  note: z.string().max(200).optional().describe('a note kept with the deployment'),
  port: z.number().int().min(0).max(65535).default(5000).describe('run-local only: the port to serve on (0 = any)'),
  // #if endpoints
  traffic: z
    .record(z.string(), z.number().min(0))
    .optional()
    .describe('endpoints only: deployment name -> weight, e.g. {"a":80,"b":20}'),
  // #endif
});

export type __Pascal__Config = z.infer<typeof configSchema>;

/** Parses config from the CLI or from code; a bad or unknown key is INVALID_PARAMETER_VALUE. */
export function parseConfig(config: TargetConfig | undefined): __Pascal__Config {
  const result = configSchema.safeParse(config ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown config key(s) ${issue.keys.map((key) => `'${key}'`).join(', ')}`
      : `'${issue.path.join('.')}': ${issue.message}`,
  );
  throw BerthError.invalidParameterValue(`Invalid config for the ${TARGET_NAME} target: ${problems.join('; ')}.`, {
    suggestions: [`Run 'berth help -t ${TARGET_NAME}' for every config key with its type and default.`],
  });
}
