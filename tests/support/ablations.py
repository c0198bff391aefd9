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
