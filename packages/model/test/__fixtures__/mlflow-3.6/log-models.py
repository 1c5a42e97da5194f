"""Logs the fixture models into a running MLflow 3.6 tracking server (MLFLOW_TRACKING_URI) the way
users do, and writes manifest.json (run ids, logged model ids, names) next to the output given.

    python log-models.py OUT_DIR

Made with real MLflow (see make-fixtures.sh); never run by tests or CI.
- run "mlflow3": mlflow.onnx.log_model(name="model", registered_model_name="iris") -> iris v1
  (a logged model m-..., nothing in the run's own artifacts), v1 -> stage Production, alias champion;
- run "mlflow3-retrained": the same with another C -> iris v2, stage Staging, alias challenger;
- run "mlflow2-layout": the model saved with mlflow.onnx.save_model and logged as plain run artifacts
  under "legacy" (how MLflow 2 stored models), registered from runs:/<run>/legacy as iris-legacy v1.
"""
import json
import os
import sys
import tempfile

import mlflow
import mlflow.onnx
import numpy as np
from mlflow import MlflowClient
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

out = sys.argv[1]
X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
example = X[[0, 50, 100, 149]]


def onnx_model(c):
    classifier = LogisticRegression(C=c, max_iter=500).fit(X, y)
    return to_onnx(classifier, X[:1], options={"zipmap": False}, target_opset=17)


mlflow.set_experiment("berth-fixtures")
client = MlflowClient()
manifest = {"tracking_uri": mlflow.get_tracking_uri(), "example": example.tolist(), "runs": {}, "models": {}}

with mlflow.start_run(run_name="mlflow3") as run:
    info = mlflow.onnx.log_model(onnx_model(1.0), name="model", registered_model_name="iris", input_example=example)
    manifest["runs"]["mlflow3"] = run.info.run_id
    manifest["models"]["mlflow3"] = info.model_id

with mlflow.start_run(run_name="mlflow3-retrained") as run:
    info = mlflow.onnx.log_model(onnx_model(0.05), name="model", registered_model_name="iris", input_example=example)
    manifest["runs"]["mlflow3-retrained"] = run.info.run_id
    manifest["models"]["mlflow3-retrained"] = info.model_id

with mlflow.start_run(run_name="mlflow2-layout") as run:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "legacy")
        mlflow.onnx.save_model(onnx_model(1.0), path, input_example=example)
        mlflow.log_artifacts(path, artifact_path="legacy")
    manifest["runs"]["mlflow2-layout"] = run.info.run_id
    mlflow.register_model(f"runs:/{run.info.run_id}/legacy", "iris-legacy")

client.transition_model_version_stage("iris", "1", "Production")
client.transition_model_version_stage("iris", "2", "Staging")
client.set_registered_model_alias("iris", "champion", "1")
client.set_registered_model_alias("iris", "challenger", "2")
client.create_registered_model("empty-model")

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
print(json.dumps(manifest, indent=2))
