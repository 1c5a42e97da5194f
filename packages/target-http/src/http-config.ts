import type { TargetConfig } from '@berth/core';
import type { z } from 'zod';
import { lazySchema, loadZod } from './lazy-zod.js';
import { parseServerKindSetting, SERVER_KIND_SETTINGS, type ServerKindSetting } from './target-location.js';

const SERVER_KEY_DESCRIPTION = 'the server at the URI: berth (berth serve), mlflow (an AI Gateway), auto (ask it)';
const OTHER_KEYS_DESCRIPTION =
  'Keys other than server are passed to the target behind the Berth server, which coerces and checks them';

function buildSchema() {
  const { z } = loadZod();
  // Loose: every other key belongs to the target behind the server, which checks it there (with
  // its own schema, "did you mean" included); this side cannot know that target's keys.
  return z
    .looseObject({
      server: z
        .enum(SERVER_KIND_SETTINGS as [ServerKindSetting, ...ServerKindSetting[]])
        .default('auto')
        .describe(SERVER_KEY_DESCRIPTION),
    })
    .describe(OTHER_KEYS_DESCRIPTION);
}

export type HttpConfigSchema = ReturnType<typeof buildSchema>;
export type HttpConfig = z.infer<HttpConfigSchema>;

/** The http target's config schema (a zod object, built on first use so that loading the target never loads zod). */
export const configSchema: HttpConfigSchema = lazySchema(buildSchema);

/**
 * The JSON Schema of `configSchema`'s input, as zod writes it (a test holds the two equal), so that
 * help, "did you mean" and the server's /target/config-schema describe the keys without loading zod.
 */
export const configJsonSchema = {
  type: 'object',
  properties: {
    server: { default: 'auto', description: SERVER_KEY_DESCRIPTION, type: 'string', enum: [...SERVER_KIND_SETTINGS] },
  },
  additionalProperties: {},
  description: OTHER_KEYS_DESCRIPTION,
} as const;

/** `server` (this client's own key) apart from the config that goes to the remote target. */
export function splitConfig(config: TargetConfig | undefined): {
  serverKind?: ServerKindSetting;
  forwarded: TargetConfig;
} {
  if (!config || !Object.hasOwn(config, 'server')) return { forwarded: { ...config } };
  const { server, ...forwarded } = config;
  if (server === undefined) return { forwarded };
  return { serverKind: parseServerKindSetting(String(server), 'config key server='), forwarded };
}
