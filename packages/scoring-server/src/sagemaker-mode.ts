/**
 * The SageMaker container contract: `docker run image serve`, listen on 0.0.0.0 at
 * SAGEMAKER_BIND_TO_PORT or 8080, model under /opt/ml/model.
 */
export const SAGEMAKER_MODEL_DIRECTORY = '/opt/ml/model';
export const SAGEMAKER_DEFAULT_PORT = 8080;

export interface ListenSettings {
  sagemaker: boolean;
  host: string;
  port: number;
  modelUri: string | undefined;
  warnings: string[];
}

export function isSagemakerMode(flag: boolean, positionals: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return flag || positionals[0] === 'serve' || (env.SAGEMAKER_BIND_TO_PORT ?? '') !== '';
}

function parsePort(raw: string, what: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${what} must be a port number 0-65535; got '${raw}'`);
  return port;
}

/** Host/port/model for the process; explicit flags win over the SageMaker defaults. */
export function resolveListenSettings(
  flags: { sagemaker: boolean; host?: string | undefined; port?: string | undefined; modelUri?: string | undefined },
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
  return { sagemaker, host, port, modelUri: flags.modelUri ?? SAGEMAKER_MODEL_DIRECTORY, warnings };
}
