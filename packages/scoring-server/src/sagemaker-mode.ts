/**
 * The SageMaker container contract: `docker run image serve`, listen on 0.0.0.0 at
 * SAGEMAKER_BIND_TO_PORT or 8080, model under /opt/ml/model.
 *
 * `BERTH_SAGEMAKER_MODEL_DIR` moves the model directory (runLocal and tests run the contract in a
 * temporary `/opt/ml/model`-shaped folder). The container's environment also names the flavor
 * (`MLFLOW_DEPLOYMENT_FLAVOR_NAME`, which MLflow's and Berth's SageMaker clients set) and whether a
 * `js` model may run its code (`BERTH_ALLOW_CODE=true`): there are no flags in `docker run image serve`.
 */
import { BerthError } from '@berth/core';

export const SAGEMAKER_MODEL_DIRECTORY = '/opt/ml/model';
export const SAGEMAKER_DEFAULT_PORT = 8080;

export interface ListenSettings {
  sagemaker: boolean;
  host: string;
  port: number;
  modelUri: string | undefined;
  /** From the container environment in SageMaker mode (flags win). */
  flavor?: string | undefined;
  allowCode?: boolean | undefined;
  warnings: string[];
}

export function isSagemakerMode(flag: boolean, positionals: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return flag || positionals[0] === 'serve' || (env.SAGEMAKER_BIND_TO_PORT ?? '') !== '';
}

function parsePort(raw: string, what: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw BerthError.invalidParameterValue(`${what} must be a port number 0-65535; got '${raw}'`);
  return port;
}

/** Host/port/model for the process; explicit flags win over the SageMaker defaults. */
export function resolveListenSettings(
  flags: {
    sagemaker: boolean;
    host?: string | undefined;
    port?: string | undefined;
    modelUri?: string | undefined;
    flavor?: string | undefined;
    allowCode?: boolean | undefined;
  },
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
): ListenSettings {
  const sagemaker = isSagemakerMode(flags.sagemaker, positionals, env);
  const warnings: string[] = [];
  if (!sagemaker) {
    return {
      sagemaker,
      host: flags.host ?? '127.0.0.1',
      port: flags.port === undefined ? 8080 : parsePort(flags.port, '--port'),
      modelUri: flags.modelUri,
      flavor: flags.flavor,
      allowCode: flags.allowCode,
      warnings,
    };
  }
  const envPort = env.SAGEMAKER_BIND_TO_PORT;
  const port =
    flags.port !== undefined
      ? parsePort(flags.port, '--port')
      : envPort
        ? parsePort(envPort, 'SAGEMAKER_BIND_TO_PORT')
        : SAGEMAKER_DEFAULT_PORT;
  const host = flags.host ?? '0.0.0.0';
  if (host === '0.0.0.0' || host === '::') {
    warnings.push(
      `SageMaker mode: listening on ${host} (all interfaces), as the container contract requires; the server has no authentication of its own`,
    );
  }
  const modelUri = flags.modelUri ?? (env.BERTH_SAGEMAKER_MODEL_DIR || SAGEMAKER_MODEL_DIRECTORY);
  const flavor = flags.flavor ?? (env.MLFLOW_DEPLOYMENT_FLAVOR_NAME || undefined);
  const allowCode = flags.allowCode ?? parseBoolean(env.BERTH_ALLOW_CODE, 'BERTH_ALLOW_CODE');
  return { sagemaker, host, port, modelUri, flavor, allowCode, warnings };
}

function parseBoolean(raw: string | undefined, what: string): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw BerthError.invalidParameterValue(`${what} must be true or false; got '${raw}'`);
}
