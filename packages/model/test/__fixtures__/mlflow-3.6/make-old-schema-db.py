"""Builds an MLflow database at an older schema revision (2d6e25af4d3e: model aliases, no
model_versions.storage_location, no logged_models; MLflow 2.9-2.12) with MLflow's own migrations,
then fills it the way MLflow 2 did: one run whose artifacts hold the model, a registered version
whose source is that folder, an alias and a stage.

    python make-old-schema-db.py OUT_DB ARTIFACT_ROOT MODEL_DIR

MODEL_DIR (an MLflow model folder) is copied to ARTIFACT_ROOT/1/<run>/artifacts/model. MLflow 3.6's
own store refuses this database (it only opens the newest schema); Berth reads it. Made with real
MLflow by make-fixtures.sh; never run by tests or CI.
"""
import shutil
import sys
import time

import sqlalchemy
from alembic import command
from mlflow.store.db.utils import _get_alembic_config
from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

out_db, artifact_root, model_dir = sys.argv[1:4]
url = f"sqlite:///{out_db}"
engine = sqlalchemy.create_engine(url)
InitialBase.metadata.create_all(engine)
command.upgrade(_get_alembic_config(url), "2d6e25af4d3e")

run_id = "0a1d5c4e3a00000000000000000f1a20"
now = int(time.time() * 1000)
artifact_uri = f"{artifact_root}/1/{run_id}/artifacts"
shutil.copytree(model_dir, f"{artifact_uri}/model")
with engine.begin() as db:
    db.execute(
        sqlalchemy.text(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)"
            " VALUES (1, 'berth-fixtures', :location, 'active', :now, :now)"
        ),
        {"location": f"{artifact_root}/1", "now": now},
    )
    db.execute(
        sqlalchemy.text(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,"
            " end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
            " VALUES (:run, 'mlflow2', 'LOCAL', 'train.py', '', 'root', 'FINISHED', :now, :now, '', 'active', :uri, 1)"
        ),
        {"run": run_id, "now": now, "uri": artifact_uri},
    )
    db.execute(
        sqlalchemy.text(
            "INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES ('iris-old', :now, :now, '')"
        ),
        {"now": now},
    )
    db.execute(
        sqlalchemy.text(
            "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id,"
            " current_stage, source, run_id, run_link, status, status_message)"
            " VALUES ('iris-old', 1, :now, :now, '', '', 'Production', :source, :run, '', 'READY', '')"
        ),
        {"now": now, "source": f"{artifact_uri}/model", "run": run_id},
    )
    db.execute(
        sqlalchemy.text("INSERT INTO registered_model_aliases (alias, version, name) VALUES ('champion', 1, 'iris-old')")
    )
print(run_id)
