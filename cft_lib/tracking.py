"""MLflow glue: the tracking URI default, the run a stage logs into, and what every run records.

Every MLflow call of the library goes through this module. A stage never logs into MLflow's
global "active run": it is handed a `Tracker` bound to one run id, so the runner decides which
run a stage writes to (a cell's run, a `cft train` run, or the run `mlflow run` created).

Every run records its resolved config (every key as a param, and the whole tree as
config/resolved.json), seed, data fingerprint, code version and prompt templates, so that a run
can be reproduced from the store alone. The tracking URI is `sqlite:///mlflow.db` in the working
directory unless MLFLOW_TRACKING_URI says otherwise. Secrets (API keys, passwords, access
tokens) are never logged: they are not config fields, and a key named like one is refused.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import subprocess
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cft_lib import __version__
from cft_lib.fingerprint import canonical
from cft_lib.paths import opening_store

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
TAG_PREFIX = "cft."
PARENT_TAG = "mlflow.parentRunId"
# whole key names only: `max_new_tokens` and `prompt_tokens` are settings and counts, not secrets
_SECRET_KEY = re.compile(
    r"^(.*_)?(api[_-]?key|secret|password|passwd|access[_-]?token|auth[_-]?token|token)$", re.IGNORECASE
)
_PARAM_VALUE_LIMIT = 6000
log = logging.getLogger(__name__)


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


def safe_uri(uri: str) -> str:
    """`uri` without credentials (user:password@), for anything written to a file or the console.

    Passwords may hold '/' (base64 does), so the userinfo runs to the last '@' after the scheme.
    """
    scheme, sep, rest = uri.partition("://")
    if not sep or "@" not in rest:
        return uri
    userinfo, _, host = rest.rpartition("@")
    if ":" in userinfo or "/" not in userinfo:  # user:password@ or token@, not a path that holds an '@'
        return f"{scheme}{sep}{host}"
    return uri


def mlflow_client():
    """mlflow, pointed at this project's store (imported lazily: it takes seconds).

    The store is first opened holding `<db>.lock` for a SQLite file: opening creates the tables of a
    new store, and two processes doing that at once (two `cft ablation`s, Ray workers) break its schema.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per report row is noise
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    # the sqlite store's schema migrations log at INFO on first use; they are not news to a user
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if uri not in _opened:
        with opening_store(uri):
            mlflow.MlflowClient()  # opens (and if new, creates) the store, cached by mlflow for the process
        _opened.add(uri)
    return mlflow


_opened: set[str] = set()  # stores this process has opened (their tables exist)


def client():
    """An MlflowClient on this project's store."""
    return mlflow_client().MlflowClient()


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.match(key))


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """Nested config → {"train.learning_rate": 1e-4, ...}; keys named like secrets are dropped."""
    flat: dict[str, Any] = {}
    value = canonical(config)
    if isinstance(value, dict):
        if not value and prefix:
            flat[prefix.rstrip(".")] = "{}"
        for key, item in value.items():
            if is_secret_key(key):
                continue
            flat |= flatten(item, f"{prefix}{key}.")
        return flat
    flat[prefix.rstrip(".")] = value
    return flat


@functools.cache  # asked once per run: two git calls each time would be paid per cell
def code_version() -> str:
    """The git commit of the installed cft_lib (with '+dirty' if modified), else the package version."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "cft_lib"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def _param_value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _PARAM_VALUE_LIMIT else text[: _PARAM_VALUE_LIMIT - 3] + "..."


class Tracker:
    """Logging into one MLflow run, by id. Per-step metrics are queued (a synchronous SQLite write
    cost ~8 ms a step); `close` waits for them."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._client = client()
        self._pending: list[Any] = []

    # -- params, tags, config ----------------------------------------------------------------
    def log_params(self, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(k, _param_value(v)) for k, v in params.items() if not is_secret_key(k.rsplit(".", 1)[-1])]
        for start in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            self._client.log_batch(self.run_id, params=items[start : start + 100])

    def log_config(self, config: Any, prefix: str = "") -> None:
        """Every key of `config` as a param and the whole tree as config/resolved.json."""
        self.log_params(flatten(config, prefix))
        tree = canonical(config)
        self.log_dict(
            {k: v for k, v in tree.items() if not is_secret_key(k)} if isinstance(tree, dict) else tree,
            "config/resolved.json",
        )

    def set_tags(self, tags: dict[str, Any]) -> None:
        from mlflow.entities import RunTag

        self._client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    # -- metrics -------------------------------------------------------------------------------
    def log_metrics(self, metrics: dict[str, float] | dict[str, Any], step: int | None = None) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(k, float(v), now, step or 0) for k, v in metrics.items() if v is not None]
        if not batch:
            return
        if step is None:
            self._client.log_batch(self.run_id, metrics=batch, synchronous=True)
        else:
            self._pending.append(self._client.log_batch(self.run_id, metrics=batch, synchronous=False))

    def log_metric_history(self, history: list[Any]) -> None:
        """Metric objects (key, value, timestamp, step) as they are, e.g. another run's curves."""
        for start in range(0, len(history), 1000):  # MLflow takes at most 1000 metrics per batch
            self._client.log_batch(self.run_id, metrics=history[start : start + 1000])

    # -- artifacts -----------------------------------------------------------------------------
    def log_dict(self, obj: Any, path: str) -> None:
        self._client.log_dict(self.run_id, canonical(obj), path)

    def log_text(self, text: str, path: str) -> None:
        self._client.log_text(self.run_id, text, path)

    def log_artifact(self, local: str | Path, directory: str | None = None) -> None:
        self._client.log_artifact(self.run_id, str(local), directory)

    def log_figure(self, figure: Any, path: str) -> None:
        self._client.log_figure(self.run_id, figure, path)

    def log_training_input(self, path: Path, name: str, fingerprint: str) -> None:
        """Training data as an MLflow dataset input, so lineage shows in the UI."""
        import mlflow
        import pandas as pd
        from mlflow.entities import DatasetInput, InputTag

        frame = pd.read_json(path, lines=True)
        from_pandas = mlflow.data.from_pandas  # type: ignore[attr-defined]  # a lazily loaded submodule
        dataset = from_pandas(frame, source=str(path), name=name, digest=fingerprint)
        self._client.log_inputs(
            self.run_id, [DatasetInput(dataset._to_mlflow_entity(), [InputTag("mlflow.data.context", "training")])]
        )

    def record_error(self, error: BaseException) -> None:
        """Why a run failed, where the UI shows it: a tag and the full traceback as an artifact."""
        text = "".join(traceback.format_exception(error))
        self.set_tags({f"{TAG_PREFIX}error": f"{type(error).__name__}: {error}"[:5000]})
        self.log_text(text, "error/traceback.txt")

    def flush(self) -> None:
        for operation in self._pending:
            operation.wait()
        self._pending.clear()


@contextmanager
def tracked_run(
    experiment: str, run_name: str, tags: dict[str, Any], parent: str | None = None, run_id: str | None = None
) -> Iterator[Tracker]:
    """A run in `experiment` (or the existing run `run_id`, left open for its owner to end), ended
    FINISHED, or FAILED with the error recorded, or KILLED on Ctrl-C. `parent` nests it in the UI."""
    from cft_lib.owners import Heartbeat, owner_tags

    store = client()
    own = run_id is None
    # the process working on the run, so that another process supersedes it only once this one is gone
    all_tags = {f"{TAG_PREFIX}code_version": code_version(), **owner_tags(), **tags}
    if own:
        experiment_id = _experiment_id(experiment)
        if parent:
            all_tags[PARENT_TAG] = parent
        run_id = store.create_run(
            experiment_id, run_name=run_name, tags={k: str(v) for k, v in all_tags.items()}
        ).info.run_id
    assert run_id is not None
    tracker = Tracker(run_id)
    if not own:
        tracker.set_tags(all_tags)
    try:
        with Heartbeat(tracker.set_tags):
            yield tracker
    except KeyboardInterrupt:
        tracker.flush()
        if own:
            store.set_terminated(run_id, "KILLED")
        raise
    except BaseException as error:
        tracker.flush()
        tracker.record_error(error)
        if own:
            store.set_terminated(run_id, "FAILED")
        raise
    tracker.flush()
    if own:
        store.set_terminated(run_id, "FINISHED")


def _experiment_id(name: str) -> str:
    """The experiment's id, created if new (by whichever of two concurrent processes gets there first)."""
    from mlflow.exceptions import MlflowException

    store = client()
    found = store.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return store.create_experiment(name)
    except MlflowException:  # created meanwhile by another process
        found = store.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def mark_superseded(run_id: str) -> None:
    """A run left RUNNING by a killed invocation: KILLED, and tagged as superseded by a rerun."""
    store = client()
    store.set_tag(run_id, f"{TAG_PREFIX}superseded", "true")
    store.set_terminated(run_id, "KILLED")


def project_run_id() -> str | None:
    """The run `mlflow run` created for this entry point (it is the parent of what we log)."""
    return os.environ.get("MLFLOW_RUN_ID") or None


@contextmanager
def stage_run(
    experiment: str, stage: str, run_name: str, config: Any, fingerprint: str, tags: dict[str, str] | None = None
) -> Iterator[Tracker]:
    """The run of one `cft` stage command, with its config, fingerprint and code version recorded.

    Under `mlflow run` the project's own run is used, so no run is left empty.
    """
    all_tags = {f"{TAG_PREFIX}stage": stage, f"{TAG_PREFIX}fingerprint": fingerprint, **(tags or {})}
    with tracked_run(experiment, run_name, all_tags, run_id=project_run_id()) as tracker:
        tracker.log_config(config)
        yield tracker
