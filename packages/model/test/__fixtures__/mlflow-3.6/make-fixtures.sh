#!/usr/bin/env bash
# Makes this folder's fixtures once, with real MLflow 3.6 (never in tests or CI):
#
#   MLFLOW_VENV=/path/to/venv bash make-fixtures.sh
#
# (the venv from /work/shared/tools/mlflow-venv.sh: mlflow, skl2onnx, scikit-learn). For each of
# MLflow's two artifact modes it starts `mlflow server` on 127.0.0.1 with an SQLite backend, logs
# the fixture models into it with log-models.py, and records the server's REST answers with
# record.mjs:
#   proxied/  `mlflow server --artifacts-destination …` (the default: artifacts go through the server,
#             run and model locations are mlflow-artifacts:/ URIs); proxied/artifacts/ holds the
#             proxied files, which the replay server serves as the artifact proxy would.
#   plain/    `mlflow server --no-serve-artifacts --default-artifact-root …` (locations are local
#             paths, read directly); plain/artifacts/ is that artifact root and plain/mlflow.db the
#             server's SQLite database, read directly by the SQLite-store tests.
#   old-schema/  an MLflow database at an older schema revision, made by make-old-schema-db.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${MLFLOW_VENV:?set MLFLOW_VENV to the venv made by mlflow-venv.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=$venv/bin/python
# Offline machine: MLflow's telemetry and its model-requirement checks must not wait on the network.
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
cd "$work" # mlflow server makes ./mlruns where it starts

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve MODE ARGS...: starts mlflow server in its own process group; sets $server and $group.
serve() {
  local mode=$1 port
  shift
  port=$(free_port)
  server=http://127.0.0.1:$port
  setsid "$venv/bin/mlflow" server --host 127.0.0.1 --port "$port" --workers 1 "$@" >"$work/$mode-server.log" 2>&1 &
  group=$!
  for _ in $(seq 1 120); do
    curl -sf "$server/health" >/dev/null && return
    sleep 1
  done
  echo "mlflow server ($mode) did not start; log:" >&2
  cat "$work/$mode-server.log" >&2
  exit 1
}
stop() { kill -- "-$group" 2>/dev/null || true; wait "$group" 2>/dev/null || true; }

record_mode() {
  local mode=$1 artifact_root=${2:-}
  mkdir -p "$work/$mode/out"
  (cd "$work/$mode" && MLFLOW_TRACKING_URI=$server "$py" "$here/log-models.py" "$work/$mode/out")
  node "$here/record.mjs" "$server" "$work/$mode/out" $artifact_root
  (cd "$work/$mode" && MLFLOW_TRACKING_URI=$server "$py" "$here/pyfunc-predictions.py" "$work/$mode/out" "$([ "$mode" = proxied ] && echo 1 || echo 0)")
  rm -rf "${here:?}/$mode"
  mkdir -p "$here/$mode"
  cp "$work/$mode/out/manifest.json" "$work/$mode/out/recording.json" "$work/$mode/out/pyfunc-predictions.json" "$here/$mode/"
}

# 1. Proxied artifacts (mlflow server's default).
mkdir -p "$work/proxied"
serve proxied --backend-store-uri "sqlite:///$work/proxied/mlflow.db" --artifacts-destination "$work/proxied/mlartifacts"
record_mode proxied
stop
cp -r "$work/proxied/mlartifacts" "$here/proxied/artifacts"

# 2. A plain artifact root, read directly by clients.
mkdir -p "$work/plain"
serve plain --backend-store-uri "sqlite:///$work/plain/mlflow.db" --no-serve-artifacts --default-artifact-root "$work/plain/artifacts"
record_mode plain "$work/plain/artifacts"
stop
cp -r "$work/plain/artifacts" "$here/plain/artifacts"
"$py" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("VACUUM"); c.close()' "$work/plain/mlflow.db"
cp "$work/plain/mlflow.db" "$here/plain/mlflow.db"
echo "$work/plain/artifacts" >"$here/plain/recorded-artifact-root.txt"

# 3. An older schema revision, filled the MLflow 2 way.
rm -rf "$here/old-schema"
mkdir -p "$here/old-schema" "$work/old-schema"
legacy=$(ls -d "$here"/plain/artifacts/*/*/artifacts/legacy | head -1)
run=$(cd "$work" && "$py" "$here/make-old-schema-db.py" "$work/old-schema/mlflow.db" "$work/old-schema/artifacts" "$legacy" | tail -1)
cp "$work/old-schema/mlflow.db" "$here/old-schema/mlflow.db"
cp -r "$work/old-schema/artifacts" "$here/old-schema/artifacts"
echo "$work/old-schema/artifacts" >"$here/old-schema/recorded-artifact-root.txt"
echo "{\"run\": \"$run\"}" >"$here/old-schema/manifest.json"
(cd "$work" && "$venv/bin/mlflow" --version) >"$here/mlflow-version.txt"
echo "fixtures written to $here"
