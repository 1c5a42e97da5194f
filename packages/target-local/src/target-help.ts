import { formatConfigHelp } from '@berth/core';
import { configJsonSchema } from './config-json-schema.js';
import { configSchema } from './local-config.js';

/**
 * The text of `berth help -t local`. The key table comes from the config schema's committed JSON
 * Schema, so help never drifts from the schema and never loads SQLite or zod.
 */
export function targetHelp(): string {
  return `Target 'local': managed model deployments on this machine.

Each deployment is a scoring server supervised by a background process that outlives the CLI,
listening on 127.0.0.1 and a free port. State (deployments, every version, endpoints, ports, pids)
lives in SQLite at <state-dir>/local.db; logs at <state-dir>/logs/<name>.log.

URIs
  local                     state directory = BERTH_HOME (default ~/.berth)
  local:/path/to/state-dir  a separate state directory (tests, several environments)

Commands
  create   --name N -m MODEL [-f FLAVOR] [-C ...]   starts N; returns once /ping passes and a real
                                                   inference on the model's input example succeeds
  update   --name N [-m MODEL] [-f FLAVOR] [-C ...] model only: hot swap in the running server (no
           request fails; if the new model fails to load or to answer its readiness inference,
           the old one keeps serving and the error says why). Process config (port, host,
           workers, batching, timeout, env, allow_code, restart_limit) or a crashed
           deployment: a new process starts on a new port, is
           checked, the record and any endpoint switch to it, then the old one drains and stops —
           clients that cached the old URL must re-read it (use an endpoint for a stable address).
           Every successful update records a new version.
  update   --name N -C rollback_to=V               restores version V's model and config (as a new
           version, so history is never rewritten). 'berth get' lists the versions.
  delete   --name N      drains (SIGTERM) and stops N, removes its state; logs are kept. Idempotent.
  list / get             state joined with live health: ready | starting | unhealthy | crashed, url,
                         pid, version, uptime, requests served, restarts, log file.
  predict  --name N | --endpoint E -I input.json   any scoring-protocol body ({dataframe_split},
           {dataframe_records}, {instances}, {inputs}) or CSV.
  explain  --name N -I input.json   per-row, per-feature attributions for the predicted class:
           interventional Shapley values computed through /invocations (exact over all feature
           coalitions up to 10 features, 64 sampled orderings beyond), background = the explained
           rows (at most 20, evenly spaced). Rows' attributions sum to prediction - baseValue.
  create-endpoint --endpoint E -C traffic='{"a":80,"b":20}'  (or -C traffic=a:80,b:20)
           a stable local address whose /invocations is split by weight (smooth weighted
           round-robin) over healthy deployments only: /ping every 500 ms, a connection error
           takes a member out and the request is retried once on another member.
  update-endpoint --endpoint E -C traffic=...   changes weights atomically.
  run-local --name N -m MODEL   serves in the foreground (port 5000 unless -C port=), Ctrl-C stops.

Supervision: a crashed server is replaced at once by a pre-started standby process, then after
100 ms, doubling up to 5 s, at most restart_limit
times within 60 s (then the state is 'crashed'). A hung server or router (no answer to GET /ping
liveness_failures times in a row, liveness_interval apart: SIGSTOP, a deadlock, a model that never
returns) is killed and replaced the same way, within about 2 s by default; one whose memory passes
max_rss_mb is drained and restarted. 'get' shows each restart with its reason (exited, hung,
memory). Deployments recorded as running whose supervisor is gone (after a reboot) start again on
the next command that touches them.

Config keys (-C key=value)
${formatConfigHelp(configSchema, { jsonSchema: configJsonSchema })}
`;
}
