#!/usr/bin/env bash
# Issue 13's check, as a user runs it (dev-only; never a test or CI step: CI replays recorded answers).
# Against a live MLflow 3.6 tracking server — SQLite backend, artifacts proxied through the server
# and then in a plain artifact root — and then against that server's SQLite file directly, every
# model URI form is deployed with `berth create -t local`, predicted with `berth predict`, and the
# answer compared with what `mlflow.pyfunc.load_model(uri).predict(...)` gives; then the failure
# cases are run through the CLI for their exit codes and messages, and `berth delete` is checked
# to return only once the deployment's processes are gone.
#
#   MLFLOW_VENV=/path/to/venv bash scripts/mlflow-compat/uris.sh   (after pnpm turbo run build)
#
# Results of the runs made so far: URIS-RESULTS.md beside this script.
#
# The venv comes from /work/shared/tools/mlflow-venv.sh. The models are logged by the fixture
# scripts in packages/model/test/__fixtures__/mlflow-3.6 (log-models.py, pyfunc-predictions.py).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
fixtures=$repo/packages/model/test/__fixtures__/mlflow-3.6
venv=${MLFLOW_VENV:?set MLFLOW_VENV to the venv made by mlflow-venv.sh}
py=$venv/bin/python
work=$(mktemp -d)
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true BERTH_HOME=$work/berth-home
unset NODE_EXTRA_CA_CERTS
group=
failed=0 # a failed check is reported and the rest still run
cleanup() { [ -n "$group" ] && kill -- "-$group" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
# $work is the user's project: it depends on @berth/target-local (linked to this checkout's build),
# so `berth create -t local` finds the target the way it does in a real project.
mkdir -p "$work/node_modules/@berth"
ln -s "$repo/packages/target-local" "$work/node_modules/@berth/target-local"
echo '{ "name": "uris-check", "private": true, "dependencies": { "@berth/target-local": "*" } }' >"$work/package.json"
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serve() { # serve MODE ARGS...
  local mode=$1 port; shift
  port=$(free_port); server=http://127.0.0.1:$port
  setsid "$venv/bin/mlflow" server --host 127.0.0.1 --port "$port" --workers 1 "$@" >"$work/$mode-server.log" 2>&1 &
  group=$!
  for _ in $(seq 1 120); do curl -sf "$server/health" >/dev/null && return; sleep 1; done
  echo "mlflow server ($mode) did not start" >&2; tail -20 "$work/$mode-server.log" >&2; exit 1
}
stop() { kill -- "-$group" 2>/dev/null || true; wait "$group" 2>/dev/null || true; group=; }
check_mode() { # check_mode MODE PROXIED(0|1) [--unreachable]
  local mode=$1 proxied=$2 flag=${3:-}
  mkdir -p "$work/$mode/out"
  (cd "$work/$mode" && MLFLOW_TRACKING_URI=$server "$py" "$fixtures/log-models.py" "$work/$mode/out" >/dev/null)
  (cd "$work/$mode" && MLFLOW_TRACKING_URI=$server "$py" "$fixtures/pyfunc-predictions.py" "$work/$mode/out" "$proxied" --with-locations)
  echo "== $mode: MLFLOW_TRACKING_URI=$server ($(date -u +%H:%M:%S))"
  MLFLOW_TRACKING_URI=$server node "$repo/scripts/mlflow-compat/uris-check.mjs" "$work/$mode/out" "$server" $flag || failed=1
}

mkdir -p "$work/proxied" "$work/plain"
serve proxied --backend-store-uri "sqlite:///$work/proxied/mlflow.db" --artifacts-destination "$work/proxied/mlartifacts"
# URIS_SKIP_UNREACHABLE=1 leaves out the unreachable-server cases (about 17 of the ~30 minutes).
check_mode proxied 1 "$([ "${URIS_SKIP_UNREACHABLE:-}" = 1 ] || echo --unreachable)"
stop
serve plain --backend-store-uri "sqlite:///$work/plain/mlflow.db" --no-serve-artifacts --default-artifact-root "$work/plain/artifacts"
check_mode plain 0
stop
# No server from here on: MLflow and berth both read the plain mode's SQLite file (MLflow's own
# predictions are made again that way, so both sides resolve through the same store).
sqlite=sqlite:///$work/plain/mlflow.db
mkdir -p "$work/sqlite" "$work/unset"
cp "$work/plain/out/manifest.json" "$work/sqlite/"
cp "$work/plain/out/manifest.json" "$work/unset/"
(cd "$work/plain" && MLFLOW_TRACKING_URI=$sqlite "$py" "$fixtures/pyfunc-predictions.py" "$work/sqlite" 0 --with-locations)
echo "== plain, its SQLite file: MLFLOW_TRACKING_URI=$sqlite (no server running) ($(date -u +%H:%M:%S))"
MLFLOW_TRACKING_URI=$sqlite node "$repo/scripts/mlflow-compat/uris-check.mjs" "$work/sqlite" "" || failed=1
# MLflow 3.6's default store when the variable is unset: ./mlflow.db (./mlruns only if it holds data).
(cd "$work/plain" && env -u MLFLOW_TRACKING_URI "$py" "$fixtures/pyfunc-predictions.py" "$work/unset" 0)
echo "== unset MLFLOW_TRACKING_URI in a folder holding mlflow.db (MLflow 3.6's default store) ($(date -u +%H:%M:%S))"
(cd "$work/plain" && env -u MLFLOW_TRACKING_URI node "$repo/scripts/mlflow-compat/uris-check.mjs" "$work/unset" "" --only-first) || failed=1
[ "$failed" = 0 ] && echo "== every check passed" || echo "== some checks failed"
exit "$failed"
