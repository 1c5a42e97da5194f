"""What MLflow itself predicts for the fixture models, through every URI form, written next to the
recording as pyfunc-predictions.json: {uri: {output: values}}. Run by make-fixtures.sh while the
tracking server is up (MLFLOW_TRACKING_URI); never run by tests or CI.

    python pyfunc-predictions.py MODE_DIR PROXIED(0|1) [--with-locations]

--with-locations (scripts/mlflow-compat/uris.sh) adds the URIs of where the artifacts are: the
logged model's and the MLflow 2 run's artifact locations as the server reports them (mlflow-artifacts:
URIs when proxied, local paths otherwise, then also as file: URIs). Those name this machine's
folders, so the committed fixtures are made without it.
"""
import json
import os
import sys

import mlflow.pyfunc
import numpy as np

mode_dir, proxied = sys.argv[1], sys.argv[2] == "1"
with_locations = sys.argv[3:] == ["--with-locations"]
manifest = json.load(open(os.path.join(mode_dir, "manifest.json")))
runs, models = manifest["runs"], manifest["models"]
example = np.array(manifest["example"], dtype=np.float32)
uris = [
    f"runs:/{runs['mlflow3']}/model",
    f"runs:/{runs['mlflow3-retrained']}/model",
    f"runs:/{runs['mlflow2-layout']}/legacy",
    "models:/iris/1",
    "models:/iris/2",
    "models:/iris/latest",
    "models:/iris/Staging",
    "models:/iris/production",
    "models:/iris@champion",
    "models:/iris@challenger",
    "models:/iris-legacy/1",
    f"models:/{models['mlflow3']}",
    f"models:/{models['mlflow3-retrained']}",
]
if proxied:
    uris.append(f"mlflow-artifacts:/1/models/{models['mlflow3']}/artifacts")
if with_locations:
    from pathlib import Path

    from mlflow import MlflowClient

    client = MlflowClient()
    model_location = client.get_logged_model(models["mlflow3"]).artifact_location
    legacy_location = client.get_run(runs["mlflow2-layout"]).info.artifact_uri + "/legacy"
    for location in (model_location, legacy_location):
        if location not in uris:
            uris.append(location)
        if not proxied and "://" not in location and not location.startswith("mlflow-artifacts:"):
            uris.append(Path(location).as_uri())
predictions = {}
for uri in uris:
    output = mlflow.pyfunc.load_model(uri).predict(example)
    predictions[uri] = {name: np.asarray(value).tolist() for name, value in output.items()}
with open(os.path.join(mode_dir, "pyfunc-predictions.json"), "w") as f:
    json.dump(predictions, f, indent=1)
print(f"{len(predictions)} URIs predicted")
