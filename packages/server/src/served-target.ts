import { type BaseDeploymentClient, BerthError, parseTargetUri, type TargetConfig } from '@berth/core';
import { configJsonSchema, loadTarget, type TargetInfo, type TargetModule, validateConfig } from '@berth/core/registry';

/** The one target a server serves: its module (help, config schema), one shared client, who it is. */
export interface ServedTarget {
  uri: string;
  name: string;
  info: TargetInfo;
  module: TargetModule;
  client: BaseDeploymentClient;
  /** Config from a request body, checked and coerced by the target's schema; undefined stays undefined. */
  checkConfig(config: Record<string, unknown> | undefined): Promise<TargetConfig | undefined>;
  /** JSON Schema of the target's config (input side), or null when it has none or it cannot be described. */
  configJsonSchema(): Record<string, unknown> | null;
  close(): Promise<void>;
}

export async function openServedTarget(uri: string): Promise<ServedTarget> {
  if (!uri) {
    throw BerthError.invalidParameterValue('No target to serve: pass a target URI (e.g. local).', {
      suggestions: ["Run 'berth targets' to list the installed targets."],
    });
  }
  const name = parseTargetUri(uri);
  const { info, module } = await loadTarget(uri);
  const client = new module.clientClass(uri);
  let jsonSchema: Record<string, unknown> | null | undefined;
  return {
    uri,
    name,
    info,
    module,
    client,
    checkConfig: async (config) => (config === undefined ? undefined : validateConfig(module, config, name)),
    configJsonSchema: () => {
      if (jsonSchema === undefined) {
        // The module's own JSON Schema, else its schema's Standard JSON Schema (core's rule).
        const described = module.configSchema
          ? configJsonSchema(module.configSchema, module.configJsonSchema)
          : undefined;
        jsonSchema = isRecord(described) ? described : null;
      }
      return jsonSchema;
    },
    close: () => client.close(),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
