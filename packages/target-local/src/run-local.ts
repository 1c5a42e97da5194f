import { BerthError, type TargetConfig } from '@berth/core';
import { checkHost, DEFAULTS, parseLocalConfig } from './local-config.js';

/**
 * Serves a model in the foreground, like `mlflow models serve`: nothing is recorded in state, the
 * URL is printed, and Ctrl-C or SIGTERM drains and exits. Port 5000 unless `-C port=` (0 = any).
 */
export async function runLocal(
  name: string,
  modelUri: string,
  flavor?: string,
  config: TargetConfig = {},
): Promise<void> {
  const parsed = parseLocalConfig(config);
  if (parsed.rollback_to !== undefined || parsed.traffic !== undefined) {
    throw BerthError.invalidParameterValue('rollback_to and traffic do not apply to run-local.');
  }
  const host = checkHost(parsed, (message) => process.stderr.write(`${message}\n`));
  for (const [key, value] of Object.entries(parsed.env ?? {})) process.env[key] = value;
  const { startScoringServer } = await import('@berth/scoring-server');
  const server = await startScoringServer({
    modelUri,
    flavor,
    host,
    port: parsed.port ?? DEFAULTS.runLocalPort,
    workers: parsed.workers,
    timeoutSeconds: parsed.timeout,
    maxBatchSize: parsed.max_batch_size,
    maxBatchDelayMs: parsed.max_batch_delay_ms,
    allowCode: parsed.allow_code,
    ...(parsed.auth_token_file !== undefined ? { authTokenFile: parsed.auth_token_file } : {}),
    // checkHost let a non-loopback host through without a token only on an explicit waiver.
    ...(parsed.allow_remote === true ? { allowUnauthenticated: true } : {}),
  });
  process.stdout.write(`Serving '${name}' (${modelUri}) at ${server.url} — press Ctrl-C to stop.\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`\n${signal}: draining and stopping '${name}'.\n`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
