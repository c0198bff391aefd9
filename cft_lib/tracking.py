"""MLflow glue: the tracking URI default, run context, and what every run records.

Every stage run records its resolved config (params + a JSON artifact), seed, data fingerprint,
code version and prompt templates, so that a run can be reproduced from the store alone.
The tracking URI is `sqlite:///mlflow.db` in the working directory unless MLFLOW_TRACKING_URI
says otherwise. Nothing that looks like a secret (keys, tokens, passwords) is ever logged.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cft_lib import __version__
from cft_lib.fingerprint import canonical

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
TAG_PREFIX = "cft."
_SECRET_KEY = re.compile(r"(api[_-]?key|token|secret|password)", re.IGNORECASE)
_PARAM_VALUE_LIMIT = 6000


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


def mlflow_client():
    """mlflow, pointed at this project's store (imported lazily: it takes seconds)."""
    import logging

    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    # the sqlite store's schema migrations log at INFO on first use; they are not news to a user
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return mlflow


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """Nested config → {"train.learning_rate": 1e-4, ...}; secret-looking keys are dropped."""
    flat: dict[str, Any] = {}
    value = canonical(config)
    if isinstance(value, dict):
        for key, item in value.items():
            if _SECRET_KEY.search(key):
                continue
            flat |= flatten(item, f"{prefix}{key}.")
        return flat
    flat[prefix.rstrip(".")] = value
    return flat


def code_version() -> str:
    """The git commit of the installed cft_lib (with '+dirty' if modified), else the package version."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "cft_lib"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


@contextmanager
def stage_run(experiment: str, stage: str, run_name: str, config: Any, fingerprint: str,
              tags: dict[str, str] | None = None, nested: bool = False) -> Iterator[Any]:
    """An MLflow run for one stage, with its config, fingerprint and code version recorded."""
    mlflow = mlflow_client()
    mlflow.set_experiment(experiment)
    all_tags = {f"{TAG_PREFIX}stage": stage, f"{TAG_PREFIX}fingerprint": fingerprint,
                f"{TAG_PREFIX}code_version": code_version(), **(tags or {})}
    with mlflow.start_run(run_name=run_name, tags=all_tags, nested=nested) as run:
        params = {k: _param_value(v) for k, v in flatten(config).items()}
        for start in range(0, len(params), 100):  # MLflow takes at most 100 params per batch
            mlflow.log_params(dict(list(params.items())[start:start + 100]))
        mlflow.log_dict(canonical(config), "config/resolved.json")
        yield run


def _param_value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _PARAM_VALUE_LIMIT else text[: _PARAM_VALUE_LIMIT - 3] + "..."


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    """Log without waiting for the store: a per-step curve cost ~8 ms a step in SQLite, synchronously.
    MLflow flushes queued metrics when the run ends (and on exit)."""
    import mlflow

    mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step, synchronous=step is None)


def log_training_input(path: Path, name: str, fingerprint: str) -> None:
    """Training data as an MLflow dataset input, so lineage shows in the UI."""
    import mlflow
    import pandas as pd

    frame = pd.read_json(path, lines=True)
    dataset = mlflow.data.from_pandas(frame, source=str(path), name=name, digest=fingerprint)
    mlflow.log_input(dataset, context="training")


def finished_cell_runs(fingerprints: list[str]) -> dict[str, Any]:
    """fingerprint → the newest FINISHED cell run with it, across all experiments."""
    mlflow = mlflow_client()
    client = mlflow.MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    found: dict[str, Any] = {}
    for key in dict.fromkeys(fingerprints):  # MLflow's tag filters have no IN: one query per cell
        runs = client.search_runs(
            experiments, f"tags.`cft.stage` = 'cell' and tags.`cft.fingerprint` = '{key}' "
                         "and attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"], max_results=1)
        if runs:
            found[key] = runs[0]
    return found
