"""What the end-to-end tests of `cft ablation` share: the environment of a run into a store of its own,
and the runs that store holds."""

from __future__ import annotations

import os
from pathlib import Path


def cli_env(store: Path) -> dict[str, str]:
    """This environment, with CFT_HOME and the MLflow store under `store`."""
    return dict(
        os.environ,
        OMP_WAIT_POLICY="PASSIVE",
        CFT_HOME=str(store / ".cft"),
        MLFLOW_TRACKING_URI=f"sqlite:///{store / 'mlflow.db'}",
        RAY_AUTH_MODE="disabled",
    )


def stage_runs(store: Path, stage: str) -> list:
    """Every run with tag `cft.stage = stage` in the store under `store`, in any experiment."""
    from mlflow.tracking import MlflowClient

    from cft_lib.paths import opening_store

    if not (store / "mlflow.db").exists():
        return []
    uri = f"sqlite:///{store / 'mlflow.db'}"
    with opening_store(uri):  # the processes under test may be creating the store's tables right now
        client = MlflowClient(uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(experiments, f"tags.`cft.stage` = '{stage}'")


def seed_base_model(model_dir: Path, store: Path) -> None:
    """Put a built tiny base model (`model_dir`, as conftest's small_base_model gives it) into the CFT_HOME
    under `store`, so a test of something else does not pre-train it again (it is the micro profile's)."""
    import shutil

    built = Path(model_dir).parent  # models/tiny-base-<fp>/, with its DONE marker
    shutil.copytree(built, store / ".cft" / "models" / built.name)
