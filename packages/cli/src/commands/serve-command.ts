import { UsageError } from '@berth/core/internal';
import { type JsonOption, printLine, writeStdout } from '../cli-output.js';
import { resolveTargetUri, type TargetOptions } from '../target-context.js';

export interface ServeOptions extends TargetOptions, JsonOption {
  host?: string | undefined;
  port?: string | undefined;
  tokenFile?: string | undefined;
  readOnlyTokenFile?: string | undefined;
  bodyLimit?: string | undefined;
  logLevel?: string | undefined;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Running operations get this long to finish on Ctrl-C before the server stops without them. */
const OPERATION_GRACE_MS = 30_000;

function integerOption(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`Invalid ${flag} '${value}': expected an integer from ${min} to ${max}.`);
  }
  return number;
}

/**
 * `berth serve`: the target behind Berth's deployments server, in the foreground until SIGINT or
 * SIGTERM. @berth/server (fastify, zod) is imported here, only when this command runs.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const port = integerOption(options.port, '--port', 0, 65535);
  const bodyLimitBytes = integerOption(options.bodyLimit, '--body-limit', 1, Number.MAX_SAFE_INTEGER);
  const level = options.logLevel ?? process.env.BERTH_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new UsageError(`Invalid --log-level '${level}': use one of ${LOG_LEVELS.join(', ')}.`);
  }
  const { resolveTokenSources, startServer } = await import('@berth/server');
  const tokens = await resolveTokenSources({
    tokenFile: options.tokenFile,
    readOnlyTokenFile: options.readOnlyTokenFile,
  });
  const server = await startServer({
    target: targetUri,
    ...(options.host !== undefined && { host: options.host }),
    ...(port !== undefined && { port }),
    ...(bodyLimitBytes !== undefined && { bodyLimitBytes }),
    tokens,
    logger: { level },
  });

  const token = server.generatedToken;
  if (options.json) {
    await writeStdout(
      `${JSON.stringify({ url: server.url, port: server.port, target: targetUri, ...(token && { token }) })}\n`,
    );
  } else {
    const lines = [
      `Serving target '${targetUri}' at ${server.url}`,
      `  Berth API ${server.url}/api/berth/v1 · MLflow routes ${server.url}/api/2.0/endpoints/ · OpenAPI ${server.url}/openapi.json`,
    ];
    if (token) {
      lines.push(
        `  Token (generated, shown only now): ${token}`,
        `  Use it: BERTH_TOKEN=<token> berth list -t ${server.url}   (MLflow's client: MLFLOW_TRACKING_TOKEN=<token>)`,
      );
    }
    lines.push('  Press Ctrl-C to stop.');
    await printLine(lines.join('\n'));
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // A second signal means "now".
  const forceExit = () => process.exit(130);
  process.once('SIGINT', forceExit);
  process.once('SIGTERM', forceExit);

  const running = server.runningOperations();
  const notices = [`${signal}: stopping the server.`];
  if (running.length > 0) {
    notices.push(
      `Waiting up to ${OPERATION_GRACE_MS / 1000} s for ${running.length} running operation(s) (${running
        .map((operation) => `${operation.kind} ${operation.resource.name}`)
        .join(', ')}); press Ctrl-C again to stop now.`,
    );
  }
  process.stderr.write(`${notices.join('\n')}\n`);
  const left = await server.close({ operationTimeoutMs: OPERATION_GRACE_MS });
  for (const operation of left) {
    const hint = [...operation.events].reverse().find((event) => event.interruptHint)?.interruptHint;
    process.stderr.write(
      `Stopped while ${operation.kind} of '${operation.resource.name}' was still running${hint ? `: ${hint}` : '.'}\n`,
    );
  }
  process.off('SIGINT', forceExit);
  process.off('SIGTERM', forceExit);
}
