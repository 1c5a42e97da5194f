import { type BaseDeploymentClient, BerthError, parseTargetUri, type TargetConfig } from '@berth/core';
import { getDeployClient, loadTarget, type TargetInfo, type TargetModule, validateConfig } from '@berth/core/registry';

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
  const client = await getDeployClient(uri);
  let jsonSchema: Record<string, unknown> | null | undefined;
  return {
    uri,
    name,
    info,
    module,
    client,
    checkConfig: async (config) => (config === undefined ? undefined : validateConfig(module, config, name)),
    configJsonSchema: () => {
      jsonSchema ??= describeConfigSchema(module);
      return jsonSchema;
    },
    close: async () => {
      const close = (client as { close?: unknown }).close;
      if (typeof close === 'function') await (close as () => unknown).call(client);
    },
  };
}

/**
 * A JSON Schema the target exports itself (`configJsonSchema`), else the schema's Standard JSON Schema
 * (`~standard.jsonSchema`, which zod 4 implements). Never a library's internals.
 */
function describeConfigSchema(module: TargetModule): Record<string, unknown> | null {
  const given = module.exports.configJsonSchema;
  if (isRecord(given)) return given;
  const schema = module.configSchema as unknown;
  if (!isRecord(schema) && typeof schema !== 'function') return null;
  const standard = (schema as Record<string, unknown>)['~standard'];
  const converter = isRecord(standard) ? standard.jsonSchema : undefined;
  const input = isRecord(converter) ? converter.input : undefined;
  if (typeof input !== 'function') return null;
  try {
    const described = (input as (options: { target: string }) => unknown).call(converter, {
      target: 'draft-2020-12',
    });
    return isRecord(described) ? described : null;
  } catch {
    // Some schemas (custom refinements, transforms) cannot be represented; describing is a nicety.
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
