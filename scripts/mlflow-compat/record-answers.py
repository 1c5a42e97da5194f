"""Turns serving.py's answers.json into the recording CI replays (MLflow's answers only, messages
cut short, non-finite numbers as strings so that JSON.parse reads the file), and copies the models:

    python record-answers.py OUT_DIR packages/scoring-server/test/__fixtures__/mlflow-3.6
"""
import json
import math
import os
import shutil
import sys

out, dest = sys.argv[1:3]
answers = json.load(open(os.path.join(out, "answers.json")))


def finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [finite(item) for item in value]
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    return value


recording = {}
for model, rows in answers.items():
    shutil.rmtree(os.path.join(dest, model), ignore_errors=True)
    shutil.copytree(os.path.join(out, "models", model), os.path.join(dest, model),
                    ignore=shutil.ignore_patterns("conda.yaml", "python_env.yaml", "requirements.txt"))
    recording[model] = []
    for row in rows:
        mlflow = dict(row["mlflow"])
        mlflow.pop("stack_trace", None)
        if "message" in mlflow:
            mlflow["message"] = mlflow["message"][:160]
        if "text" in mlflow:
            mlflow["text"] = mlflow["text"][:120]
        keep = {key: row[key] for key in ("request", "method", "path", "headers", "body", "listed")}
        recording[model].append({**keep, "mlflow": mlflow})
with open(os.path.join(dest, "mlflow-answers.json"), "w") as f:
    json.dump(finite(recording), f, allow_nan=False, separators=(",", ":"))
print(f"{sum(len(rows) for rows in recording.values())} exchanges recorded in {dest}")
