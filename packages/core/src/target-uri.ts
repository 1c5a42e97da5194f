import { BerthError } from './berth-error.js';

/** Python's `urllib.parse` scheme characters: a letter first, then letters, digits, `+`, `-`, `.`. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * The target name of a deployment target URI, as MLflow's `parse_target_uri` computes it with
 * `urlparse`: the lowercased scheme when there is one (`sagemaker:/us-east-1` → `sagemaker`,
 * `http://host:5000` → `http`), otherwise the whole URI (a bare word such as `local`).
 */
export function parseTargetUri(uri: string): string {
  // urlparse strips leading C0 controls and spaces, and drops tabs and newlines anywhere.
  let start = 0;
  while (start < uri.length && uri.charCodeAt(start) <= 0x20) start++;
  const cleaned = uri.slice(start).replace(/[\t\n\r]/g, '');
  const colon = cleaned.indexOf(':');
  if (colon > 0 && SCHEME.test(cleaned.slice(0, colon))) return cleaned.slice(0, colon).toLowerCase();
  if (cleaned === '') {
    throw BerthError.invalidParameterValue(
      `Not a proper deployment URI: ${uri}. Deployment URIs must be of the form 'target' or 'target:/suffix'`,
    );
  }
  return cleaned;
}

let deploymentsTarget: string | undefined;

/**
 * Sets the default target for calls that do not name one.
 *
 * Deliberate deviation from MLflow: MLflow accepts only `databricks` or a URI with a scheme and a
 * host (it was written for the gateway client), so it would reject `local` or `sagemaker:/eu-west-1`.
 * Berth's targets are bare words and `target:/suffix` URIs, so any URI `parseTargetUri` accepts is valid.
 * `undefined` clears the value.
 */
export function setDeploymentsTarget(uri: string | undefined): void {
  if (uri === undefined) {
    deploymentsTarget = undefined;
    return;
  }
  if (typeof uri !== 'string') {
    throw BerthError.invalidParameterValue(`The target provided is not a valid target URI: ${String(uri)}`);
  }
  parseTargetUri(uri);
  deploymentsTarget = uri;
}

/** The default target: `setDeploymentsTarget()`, then `BERTH_TARGET`, then `MLFLOW_DEPLOYMENTS_TARGET`. */
export function getDeploymentsTarget(): string {
  if (deploymentsTarget !== undefined) return deploymentsTarget;
  const fromEnvironment = process.env.BERTH_TARGET || process.env.MLFLOW_DEPLOYMENTS_TARGET;
  if (fromEnvironment) return fromEnvironment;
  throw BerthError.invalidParameterValue('No deployments target has been set.', {
    suggestions: [
      'Pass a target with -t/--target (e.g. `-t local`),',
      'or set the environment variable BERTH_TARGET (MLFLOW_DEPLOYMENTS_TARGET also works),',
      'or call setDeploymentsTarget() from code.',
    ],
  });
}
