#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { writeReadyFile } from './ready-file.js';
import { resolveListenSettings } from './sagemaker-mode.js';
import { installShutdown } from './shutdown.js';

const HELP = `Usage: berth-scoring-server --model-uri <uri> [options]
       berth-scoring-server serve            (SageMaker container entry point)

Serves one MLflow model over HTTP: MLflow scoring protocol (/ping, /health, /version,
/invocations), Open Inference Protocol v2 (/v2/...), Prometheus metrics (/metrics).

Options:
  -m, --model-uri <uri>        model directory or URI (SageMaker mode default: /opt/ml/model)
      --flavor <name>          flavor to load (default: one the model has)
  -h, --host <host>            interface to bind (default 127.0.0.1; SageMaker mode 0.0.0.0)
  -p, --port <port>            port (default 8080, or SAGEMAKER_BIND_TO_PORT; 0 = any free port)
  -w, --workers <n>            inference worker threads (default: cores - 1, 1 to 4; 0 = event loop)
  -t, --timeout <seconds>      per-request limit, 504 after (default MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT or 60)
      --max-batch-size <rows>  dynamic batching: merge concurrent requests up to this many rows (default off)
      --max-batch-delay-ms <n> dynamic batching: how long a batch waits for more requests (default 2)
      --inline-budget-ms <n>   run predictions measured below this cost on the event loop (default 0.5; 0 = never)
      --worker-body-bytes <n>  /invocations bodies this large are parsed and serialized in a worker (default 262144)
      --body-limit <bytes>     largest request body, 413 above (default 67108864 = 64 MiB)
      --headers-timeout-ms <n> slow clients: headers not all in after n ms → 408, connection closed (default 10000)
      --request-timeout-ms <n> slow clients: whole request (headers + body) not in after n ms → 408 (default 60000)
      --max-connections <n>    connections open at once; more are closed on arrival (default 1024)
      --model-name <name>      model name in /v2/models/{name} (default: model directory name)
      --model-version <v>      model version in /v2/models/{name}/versions/{v}
      --allow-code             allow js-flavor models (runs code from the model directory)
      --auth-token-file <path> require Authorization: Bearer <token in the file> on every route but
                               /ping, /health, /v2/health/* (401 otherwise; the file holds >= 16 chars)
      --allow-unauthenticated  allow a non-loopback --host without --auth-token-file (only when something
                               in front of the server authenticates; SageMaker mode implies it)
      --ready-file <path>      when ready, write {"pid","port","url"} there (atomically)
      --processes <n>          serve from n processes sharing the port (node:cluster; no control routes)
      --sagemaker              SageMaker container mode (also: argument "serve" or SAGEMAKER_BIND_TO_PORT set)
      --log-level <level>      pino level: fatal, error, warn, info, debug, trace, silent (default info)
      --debug                  error answers carry MLflow's stack_trace (this machine's file paths; default off)
      --help                   show this help

Environment:
  BERTH_CONTROL_TOKEN                     enables /-/berth/swap and /-/berth/status (Bearer token, >= 16 chars)
  BERTH_AUTH_TOKEN_FILE                   default for --auth-token-file
  MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT   default for --timeout
  SAGEMAKER_BIND_TO_PORT                  port in SageMaker mode
  BERTH_SAGEMAKER_MODEL_DIR               model directory in SageMaker mode (default /opt/ml/model)
  MLFLOW_DEPLOYMENT_FLAVOR_NAME           flavor in SageMaker mode when --flavor is not given
  BERTH_ALLOW_CODE                        true: SageMaker mode allows js models (as --allow-code)
  BERTH_LOG_LEVEL                         default for --log-level
  BERTH_DEBUG                             1: as --debug (and stack traces of startup failures)
`;

/** A malformed command line: say so and exit 2, as the berth CLI does for usage errors. */
function usageError(message: string): never {
  process.stderr.write(`berth-scoring-server: ${message}\n`);
  process.exit(2);
}

function integerFlag(value: string | undefined, flag: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) {
    usageError(`${flag} must be an integer >= ${minimum}; got '${value}'`);
  }
  return number;
}

function numberFlag(value: string | undefined, flag: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < minimum)
    usageError(`${flag} must be a number >= ${minimum}; got '${value}'`);
  return number;
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'model-uri': { type: 'string', short: 'm' },
        flavor: { type: 'string' },
        host: { type: 'string', short: 'h' },
        port: { type: 'string', short: 'p' },
        workers: { type: 'string', short: 'w' },
        timeout: { type: 'string', short: 't' },
        'max-batch-size': { type: 'string' },
        'max-batch-delay-ms': { type: 'string' },
        'inline-budget-ms': { type: 'string' },
        'body-limit': { type: 'string' },
        'headers-timeout-ms': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        'worker-body-bytes': { type: 'string' },
        'model-name': { type: 'string' },
        'model-version': { type: 'string' },
        'allow-code': { type: 'boolean' },
        'auth-token-file': { type: 'string' },
        'allow-unauthenticated': { type: 'boolean' },
        'ready-file': { type: 'string' },
        processes: { type: 'string' },
        sagemaker: { type: 'boolean' },
        'log-level': { type: 'string' },
        debug: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    usageError(`${(error as Error).message}\nRun berth-scoring-server --help for the options.`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseCommandLine(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'serve')) {
    usageError(`Unexpected argument '${positionals.join(' ')}' (only "serve" is accepted)`);
  }
  let listen: ReturnType<typeof resolveListenSettings>;
  try {
    listen = resolveListenSettings(
      {
        sagemaker: values.sagemaker ?? false,
        host: values.host,
        port: values.port,
        modelUri: values['model-uri'],
        flavor: values.flavor,
        allowCode: values['allow-code'],
      },
      positionals,
      process.env,
    );
  } catch (error) {
    usageError((error as Error).message);
  }
  if (!listen.modelUri) usageError('--model-uri is required (or run in SageMaker mode, which reads /opt/ml/model)');
  const processes = integerFlag(values.processes, '--processes', 1) ?? 1;
  const controlToken = process.env.BERTH_CONTROL_TOKEN || undefined;
  // The token must not reach model code (js flavor) or child processes through the environment.
  delete process.env.BERTH_CONTROL_TOKEN;
  if (controlToken && processes > 1) {
    usageError('--processes > 1 cannot be combined with BERTH_CONTROL_TOKEN: a swap would reach one process only');
  }
  const options = {
    modelUri: listen.modelUri,
    ...(listen.flavor ? { flavor: listen.flavor } : {}),
    host: listen.host,
    port: listen.port,
    ...optional('workers', integerFlag(values.workers, '--workers', 0)),
    ...optional('timeoutSeconds', numberFlag(values.timeout, '--timeout', Number.MIN_VALUE)),
    ...optional('maxBatchSize', integerFlag(values['max-batch-size'], '--max-batch-size', 1)),
    ...optional('maxBatchDelayMs', numberFlag(values['max-batch-delay-ms'], '--max-batch-delay-ms', 0)),
    ...optional('inlineBudgetMs', numberFlag(values['inline-budget-ms'], '--inline-budget-ms', 0)),
    ...optional('bodyLimitBytes', integerFlag(values['body-limit'], '--body-limit', 1)),
    ...optional('workerBodyBytes', integerFlag(values['worker-body-bytes'], '--worker-body-bytes', 0)),
    ...optional('headersTimeoutMs', integerFlag(values['headers-timeout-ms'], '--headers-timeout-ms', 1)),
    ...optional('requestTimeoutMs', integerFlag(values['request-timeout-ms'], '--request-timeout-ms', 1)),
    ...optional('maxConnections', integerFlag(values['max-connections'], '--max-connections', 1)),
    ...(values['model-name'] ? { modelName: values['model-name'] } : {}),
    ...(values['model-version'] ? { modelVersion: values['model-version'] } : {}),
    allowCode: listen.allowCode ?? false,
    sagemaker: listen.sagemaker,
    ...(controlToken ? { controlToken } : {}),
    ...optional('authTokenFile', values['auth-token-file'] ?? (process.env.BERTH_AUTH_TOKEN_FILE || undefined)),
    // Behind SageMaker the endpoint authenticates every call (SigV4) before it reaches the container.
    allowUnauthenticated: (values['allow-unauthenticated'] ?? false) || listen.sagemaker,
    debug: (values.debug ?? false) || process.env.BERTH_DEBUG === '1',
  };
  const level = values['log-level'] ?? process.env.BERTH_LOG_LEVEL ?? 'info';
  const { pino } = await import('pino');
  const logger = pino({ name: 'berth-scoring-server', level }, pino.destination({ fd: 2, sync: true }));
  for (const warning of listen.warnings) logger.warn(warning);

  if (processes > 1) {
    const { runCluster } = await import('./cluster-mode.js');
    await runCluster(processes, options, logger, values['ready-file']);
    return;
  }

  const { startScoringServer } = await import('./index.js');
  const handle = await startScoringServer({ ...options, logger });
  if (values['ready-file'])
    await writeReadyFile(values['ready-file'], { pid: process.pid, port: handle.port, url: handle.url });
  logger.info({ url: handle.url }, 'ready');
  installShutdown(() => handle.close(), logger, (options.timeoutSeconds ?? 60) + 10);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

main().catch((error: unknown) => {
  const record = error as { code?: unknown; message?: unknown; suggestions?: unknown };
  const code = typeof record?.code === 'string' ? ` [${record.code}]` : '';
  process.stderr.write(`berth-scoring-server: failed to start${code}: ${String(record?.message ?? error)}\n`);
  if (Array.isArray(record?.suggestions)) for (const line of record.suggestions) process.stderr.write(`  ${line}\n`);
  if (process.env.BERTH_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
