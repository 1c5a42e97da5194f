import { type BaseDeploymentClient, BerthError, parseTargetUri, type TargetConfig } from '@berth/core';
import { UsageError } from '@berth/core/internal';
import {
  getDeployClient,
  getDeploymentsTarget,
  loadTarget,
  parseConfigPairs,
  validateConfig,
} from '@berth/core/registry';
import { trackClient } from './open-clients.js';

export interface TargetOptions {
  target?: string | undefined;
}

/** `-t`, else the default target (BERTH_TARGET, then MLFLOW_DEPLOYMENTS_TARGET); a missing one is a usage error. */
export async function resolveTargetUri(options: TargetOptions): Promise<string> {
  if (options.target) return options.target;
  try {
    return getDeploymentsTarget();
  } catch {
    throw new UsageError(
      "Missing option '-t, --target <uri>'. Pass a target URI (run 'berth targets' to list the installed targets) or set BERTH_TARGET.",
    );
  }
}

export async function openClient(targetUri: string): Promise<BaseDeploymentClient> {
  const client = await getDeployClient(targetUri);
  trackClient(client);
  return client;
}

/** `-C key=value` pairs as strings; a malformed pair (no `=`, a repeated key) is a usage error, as in MLflow. */
export function parseConfigOption(pairs: string[]): Record<string, string> {
  try {
    return parseConfigPairs(pairs);
  } catch (error) {
    if (BerthError.isInstance(error)) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Deployment config: parsed, then coerced and checked by the target's `configSchema` when it has one
 * (unknown keys are rejected with a "did you mean" suggestion).
 */
export async function deploymentConfig(targetUri: string, pairs: string[]): Promise<TargetConfig> {
  const parsed = parseConfigOption(pairs);
  const { module } = await loadTarget(targetUri);
  return validateConfig(module, parsed, parseTargetUri(targetUri));
}
