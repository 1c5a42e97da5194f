import type { BaseDeploymentClient } from './base-deployment-client.js';
import type { TargetConfig } from './deployment.js';
import { type LoadTargetOptions, loadTarget } from './target-registry.js';
import { getDeploymentsTarget } from './target-uri.js';

/**
 * A client for the target a URI names, constructed with the full URI (`sagemaker:/eu-west-1`).
 * Without a URI, the default target (`setDeploymentsTarget`, `BERTH_TARGET`,
 * `MLFLOW_DEPLOYMENTS_TARGET`). Unlike MLflow, which returns None when no target is set, this
 * throws an error that says how to set one: a typed API should not hand back a null client.
 */
export async function getDeployClient(
  targetUri?: string,
  options: LoadTargetOptions = {},
): Promise<BaseDeploymentClient> {
  const uri = targetUri || getDeploymentsTarget();
  const { module } = await loadTarget(uri, options);
  return new module.clientClass(uri);
}

export interface RunLocalOptions extends LoadTargetOptions {
  flavor?: string;
  config?: TargetConfig;
}

/**
 * Deploys a model for local testing through the target's `runLocal`; the result is not managed by
 * the other APIs afterwards. The target receives `{}` when no config is given, as from MLflow's CLI.
 */
export async function runLocal(
  target: string,
  name: string,
  modelUri: string,
  options: RunLocalOptions = {},
): Promise<void> {
  const { flavor, config, ...loadOptions } = options;
  const { module } = await loadTarget(target, loadOptions);
  await module.runLocal(name, modelUri, flavor, config ?? {});
}

/** The target's help text: URI format, config keys, other details. */
export async function targetHelp(target: string, options: LoadTargetOptions = {}): Promise<string> {
  const { module } = await loadTarget(target, options);
  // Typed as a string, but an async targetHelp from a lenient target is awaited too.
  return String(await module.targetHelp());
}
