"""What the tracking store holds about ablations: read by the runner (what is done) and the report
(what to show), written only through cft_lib.tracking.

Runs are found by tag, never by name: `cft.stage` (ablation | cell | reused-cell | base-model),
`cft.fingerprint`, `cft.spec`, `cft.profile`, `cft.cell`. A cell is done when a FINISHED run with
stage `cell` has its fingerprint, in any experiment. A spec whose cell was done elsewhere gets a
`reused-cell` run in its own experiment carrying that run's params and metrics and the tag
`cft.reused_from`, so the spec's experiment lists every row of its table.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cft_lib.owners import owner_alive
from cft_lib.tracking import TAG_PREFIX, Tracker, client, mark_superseded, mlflow_client

if TYPE_CHECKING:
    from cft_lib.ablation.cell import ResolvedCell
    from cft_lib.ablation.specs import Ablation

CELL = "cell"
REUSED_CELL = "reused-cell"
REUSED_FROM = f"{TAG_PREFIX}reused_from"
log = logging.getLogger(__name__)


def experiment_name(spec: str) -> str:
    return f"cft/{spec}"


def spec_params(ablation: Ablation) -> dict[str, Any]:
    """Carried by the parent and every child (MLflow UI filters drop children without them)."""
    return {"spec": ablation.name, "profile": ablation.profile_name, "table": ablation.spec.table}


def spec_tags(ablation: Ablation) -> dict[str, str]:
    return {f"{TAG_PREFIX}spec": ablation.name, f"{TAG_PREFIX}profile": ablation.profile_name}


def cell_tags(ablation: Ablation, cell: ResolvedCell, stage: str = CELL) -> dict[str, str]:
    return spec_tags(ablation) | {
        f"{TAG_PREFIX}cell": cell.label,
        f"{TAG_PREFIX}fingerprint": cell.fingerprint,
        f"{TAG_PREFIX}stage": stage,
    }


def _experiment_ids() -> list[str]:
    return [e.experiment_id for e in mlflow_client().search_experiments()]  # pages through all of them


def finished_cell_runs(fingerprints: list[str]) -> dict[str, Any]:
    """fingerprint → the newest FINISHED cell run with it, across all experiments."""
    store = client()
    experiments = _experiment_ids()
    found: dict[str, Any] = {}
    for key in dict.fromkeys(fingerprints):  # MLflow's tag filters have no IN: one query per cell
        runs = store.search_runs(
            experiments,
            f"tags.`cft.stage` = '{CELL}' and tags.`cft.fingerprint` = '{key}' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if runs:
            found[key] = runs[0]
    return found


def store_has_runs() -> bool:
    """Whether the store holds any cft cell run at all (else a report would be all dashes)."""
    runs = client().search_runs(_experiment_ids(), f"tags.`cft.stage` = '{CELL}'", max_results=1)
    return bool(runs)


def supersede_unfinished(filter_string: str) -> int:
    """Runs matching `filter_string` left RUNNING by a process that is gone are marked KILLED; runs
    whose owner is alive (another `cft ablation`, a Ray worker) are left to it (cft_lib/owners.py)."""
    store = client()
    running = store.search_runs(_experiment_ids(), f"{filter_string} and attributes.status = 'RUNNING'")
    stale = [run for run in running if not owner_alive(run.data.tags)]
    for run in stale:
        mark_superseded(run.info.run_id)
    return len(stale)


def supersede_unfinished_cell(fingerprint: str) -> int:
    return supersede_unfinished(f"tags.`cft.fingerprint` = '{fingerprint}'")


def supersede_unfinished_parents(ablation: Ablation) -> int:
    return supersede_unfinished(
        f"tags.`cft.stage` = 'ablation' and tags.`cft.spec` = '{ablation.name}' "
        f"and tags.`cft.profile` = '{ablation.profile_name}'"
    )


def shown_in_experiment(experiment: str, fingerprint: str) -> bool:
    """Whether the experiment already lists the cell (its own run, or a reused-cell run)."""
    store = client()
    found = store.get_experiment_by_name(experiment)
    if found is None:
        return False
    return any(  # by stage too: a tuned cell's trial runs carry its fingerprint
        store.search_runs(
            [found.experiment_id],
            f"tags.`cft.fingerprint` = '{fingerprint}' and tags.`cft.stage` = '{stage}' "
            "and attributes.status = 'FINISHED'",
            max_results=1,
        )
        for stage in (CELL, REUSED_CELL)
    )


def copy_run_data(
    source_run_id: str, tracker: Tracker, params: bool = True, prefixes: tuple[str, ...] | None = None
) -> None:
    """Params and metric histories of another run, logged again into `tracker`'s run (the run a
    reused cell or a reused training came from), so curves and numbers show where the user looks."""
    from mlflow.entities import Metric

    store = client()
    source = store.get_run(source_run_id)
    if params:
        tracker.log_params(dict(source.data.params))
    keys = [k for k in source.data.metrics if prefixes is None or k.startswith(prefixes)]
    history: list[Metric] = []
    for key in keys:
        history += store.get_metric_history(source_run_id, key)
    tracker.log_metric_history(history)
