#!/usr/bin/env bash
# Issue 11's check (dev-only; never a test or CI step): makes the comparison models with real MLflow
# 3.6 (make-models.py), then sends the same requests to `mlflow models serve` and to
# berth-scoring-server on each (serving.py), printing every difference and a summary line.
#
#   MLFLOW_VENV=/path/to/venv bash scripts/mlflow-compat/serving.sh [--unseen] [OUT_DIR]   (after the build)
#
# --unseen: make-unseen-models.py's models, and requests unseen.py generates from each signature
# (recorded into packages/scoring-server/test/__fixtures__/mlflow-3.6-unseen).
#
# OUT_DIR (default: a temp folder) gets the models, both servers' logs and answers.json; copy
# answers.json through record-answers.py into packages/scoring-server/test/__fixtures__/mlflow-3.6
# to update the recording CI replays.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=${MLFLOW_VENV:?set MLFLOW_VENV to the venv made by /work/shared/tools/mlflow-venv.sh}
make=make-models.py compare=serving.py
if [ "${1:-}" = --unseen ]; then make=make-unseen-models.py compare=unseen.py; shift; fi
out=${1:-$(mktemp -d)}
mkdir -p "$out/models"
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
cd "$out" # MLflow may create ./mlruns where it runs
"$venv/bin/python" "$repo/scripts/mlflow-compat/$make" "$out/models" 2>/dev/null
"$venv/bin/python" "$repo/scripts/mlflow-compat/$compare" "$out/models" "$repo" "$out"
echo "answers: $out/answers.json"
