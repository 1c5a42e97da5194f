import { formatConfigHelp } from '@berth/core';
import { configJsonSchema, configSchema } from './http-config.js';

/**
 * The text of `berth help -t http`. The key table comes from the schema (described by its JSON
 * Schema constant, so help loads no zod).
 */
export function targetHelp(): string {
  const keys = formatConfigHelp(configSchema, { jsonSchema: configJsonSchema });
  return `Targets 'http' and 'https': a remote deployments server, by its base URL.

  -t http://host:port[/base-path]     a Berth server (berth serve -t <target>) or an MLflow AI Gateway
  -t https://host[:port][/base-path]  the same over TLS
  ...?server=berth|mlflow             skip the one request that tells the two apart

Against a Berth server, every command works as it does for the target behind it, with the same
messages and exit codes: create/update/delete run as server operations that this client follows to
the end (progress shown as the server reports it; Ctrl-C stops waiting, the operation goes on), and
predict, predict-stream (SSE), explain, list, get and the endpoint commands are passed through.
-C keys other than 'server' go to that target, which checks them ('berth help -t <its uri>' on the
server machine lists them).

Against an MLflow AI Gateway, as MLflow's own client: list-endpoints (all pages), get-endpoint,
predict --endpoint E (the gateway's answer is under "predictions"), and predict-stream (its SSE,
read by MLflow's rules). Deployment and endpoint management is NOT_IMPLEMENTED there.

Config keys (-C key=value; create, update and delete only)
${keys}
  Every other key goes to the target behind a Berth server, which checks it. list, get and predict
  take no -C: put ?server= in the URI, or set BERTH_SERVER_KIND.

Environment (a Berth variable wins over its MLflow twin)
  BERTH_TOKEN, BERTH_TOKEN_FILE          bearer token (berth serve prints or reads it), or a file holding it
  MLFLOW_TRACKING_TOKEN                  bearer token
  MLFLOW_TRACKING_USERNAME/_PASSWORD     HTTP Basic auth (both needed)
  BERTH_DEPLOYMENT_PREDICT_TIMEOUT / MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT   120 — seconds for a prediction
                                         (and between streamed chunks)
  BERTH_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT / MLFLOW_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT   300 —
                                         seconds for any other request (0 = no limit)
  BERTH_HTTP_REQUEST_MAX_RETRIES / _BACKOFF_FACTOR / _BACKOFF_JITTER, BERTH_HTTP_RESPECT_RETRY_AFTER_HEADER
                                         (or MLFLOW_HTTP_*): retries of 429/500/502/503 and refused
                                         connections, 7 by default, with backoff and Retry-After
  BERTH_SERVER_CERT_PATH / MLFLOW_TRACKING_SERVER_CERT_PATH   CA bundle (PEM) for an https server
  BERTH_CLIENT_CERT_PATH / MLFLOW_TRACKING_CLIENT_CERT_PATH   client certificate and key (one PEM)
  BERTH_INSECURE_TLS / MLFLOW_TRACKING_INSECURE_TLS          true = do not verify the server (tests only)
  BERTH_SERVER_KIND                      auto|berth|mlflow, as ?server=

run-local -t http --name N -m MODEL [-C server_port=5000] [-C server_host=127.0.0.1]
  starts 'berth serve' in the foreground on that loopback address, serving the local target in a
  fresh state directory, deploys MODEL there as N (other -C keys go to that create), and prints the
  URL and token; Ctrl-C deletes N, stops the server and removes the state directory. Needs
  @berth/cli, @berth/server and @berth/target-local installed.
`;
}
