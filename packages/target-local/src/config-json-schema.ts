/**
 * The JSON Schema of `configSchema`, kept as data so that `berth help -t local` and core's `-C` coercion
 * read it without loading zod. Generated — do not edit: `src/local-config.test.ts` fails when it drifts
 * from the schema and rewrites it when run with BERTH_WRITE_CONFIG_JSON_SCHEMA=1.
 */
export const configJsonSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    port: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      description: 'TCP port to listen on; 0 picks a free one',
      defaultDescription: 'a free port (run-local: 5000)',
    },
    host: {
      default: '127.0.0.1',
      type: 'string',
      minLength: 1,
      description: 'interface to bind; anything but loopback needs auth_token_file (or allow_remote=true)',
    },
    allow_remote: {
      default: false,
      type: 'boolean',
      description: 'bind a non-loopback host without auth_token_file (prints a warning)',
    },
    workers: {
      type: 'integer',
      minimum: 0,
      maximum: 64,
      description: 'inference worker threads (0: on the event loop)',
      defaultDescription: 'CPU cores - 1, from 1 to 4',
    },
    max_batch_size: {
      type: 'integer',
      minimum: 1,
      maximum: 100000,
      description: 'dynamic batching: rows per merged model run',
      defaultDescription: 'off',
    },
    max_batch_delay_ms: {
      default: 2,
      type: 'number',
      minimum: 0,
      maximum: 60000,
      description: 'dynamic batching: longest wait for a batch to fill',
    },
    timeout: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'seconds one request may take (then 504)',
      defaultDescription: '60 (or MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT)',
    },
    env: {
      default: {},
      type: 'object',
      propertyNames: {
        type: 'string',
      },
      additionalProperties: {
        type: 'string',
      },
      description: 'extra environment of the server, e.g. env=\'{"A":"1"}\'',
    },
    allow_code: {
      default: false,
      type: 'boolean',
      description: "run a js-flavor model's own code",
    },
    readiness_timeout: {
      default: 60,
      type: 'number',
      exclusiveMinimum: 0,
      description: 'seconds a new process or model has to become ready',
    },
    restart_limit: {
      default: 5,
      type: 'integer',
      minimum: 0,
      maximum: 1000,
      description: 'crash restarts allowed within 60 s before the state is crashed',
    },
    liveness_interval: {
      default: 0.5,
      type: 'number',
      minimum: 0.05,
      maximum: 3600,
      description: 'seconds between liveness probes (GET /ping) of the server or router',
    },
    liveness_timeout: {
      default: 0.5,
      type: 'number',
      minimum: 0.01,
      maximum: 3600,
      description: 'seconds one liveness probe waits for any answer (at most liveness_interval)',
    },
    liveness_failures: {
      default: 3,
      type: 'integer',
      minimum: 0,
      maximum: 1000,
      description: 'probes missed in a row that make the process hung: it is killed and the standby serves (0: off)',
    },
    max_rss_mb: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1048576,
      description: 'replace the server once its resident memory passes this many MB (it drains, then restarts)',
      defaultDescription: 'no limit',
    },
    auth_token_file: {
      type: 'string',
      minLength: 1,
      description: 'require Authorization: Bearer <token in this file> (16+ characters); /ping and /health stay open',
      defaultDescription: 'no auth (loopback only)',
    },
    rollback_to: {
      type: 'integer',
      minimum: 1,
      maximum: 9007199254740991,
      description: 'update only: restore this version (as a new one)',
      defaultDescription: '—',
    },
    traffic: {
      anyOf: [
        {
          type: 'object',
          propertyNames: {
            type: 'string',
          },
          additionalProperties: {
            type: 'number',
            minimum: 0,
            maximum: 1000000,
          },
        },
        {
          type: 'string',
          minLength: 1,
        },
      ],
      description: 'endpoints only: deployment -> weight, as JSON or a:80,b:20',
      defaultDescription: '—',
    },
  },
  additionalProperties: false,
};
