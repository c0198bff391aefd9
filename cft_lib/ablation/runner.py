"""Execute an ablation into MLflow: one parent run per invocation, one child run per cell.

Cells are deduplicated by fingerprint. A cell whose fingerprint already has a FINISHED run in the
store is not rerun: the spec's experiment gets a `reused-cell` run carrying that run's params and
metrics (tag `cft.reused_from`), so every row of the table is in the experiment. A trained model
on disk is reused by any cell that needs it. An invocation killed at any point, when rerun, does
only the unfinished work (a killed cell's run, left RUNNING by the kill, is marked KILLED and
superseded). Under `mlflow run` the project's run is the parent, so no run is left empty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cft_lib.ablation.cell import ResolvedCell
from cft_lib.ablation.plan import CellPlan, console, plan, print_plan
from cft_lib.ablation.specs import Ablation
from cft_lib.ablation.stages import base_model_path, base_skills, build_base, evaluate_model, train_model
from cft_lib.ablation.store import (
    CELL,
    REUSED_CELL,
    REUSED_FROM,
    cell_tags,
    copy_run_data,
    experiment_name,
    shown_in_experiment,
    spec_params,
    spec_tags,
    supersede_unfinished_cell,
    supersede_unfinished_parents,
)
from cft_lib.errors import CftError
from cft_lib.eval.evaluate import EvalResult
from cft_lib.tracking import TAG_PREFIX, Tracker, flatten, project_run_id, tracked_run
from cft_lib.train.recipe import TINY, TinyBaseRecipe

log = logging.getLogger(__name__)


def run_ablation(
    ablation: Ablation,
    dry_run: bool = False,
    progress: bool = True,
    parent_run_id: str | None = None,
    report: Callable[[Ablation, Tracker], Path] | None = None,
) -> int:
    """Run every unfinished cell; report failures and keep going. Returns an exit status.

    The parent run is the `mlflow run` project run when there is one (and no `parent_run_id`),
    else a new run in the spec's experiment, nested under `parent_run_id` if given. `report`
    (the caller's: cft_lib/report sits above this module) writes the table at the end; the file is
    logged on the parent run.
    """
    plans = plan(ablation)
    print_plan(ablation, plans)
    if dry_run:
        return 0
    supersede_unfinished_parents(ablation)
    use_project_run = project_run_id() if parent_run_id is None else None
    tags = spec_tags(ablation) | {f"{TAG_PREFIX}stage": "ablation"}
    name = f"{ablation.name} ({ablation.profile_name})"
    failures = 0
    with tracked_run(
        experiment_name(ablation.name), name, tags, parent=parent_run_id, run_id=use_project_run
    ) as parent:
        parent.log_params(
            spec_params(ablation) | {"cells": len(plans)} | {f"set.{k}": v for k, v in ablation.overrides.items()}
        )
        parent.log_artifact(ablation.spec_path, "spec")
        parent.log_artifact(ablation.profile_path, "spec")
        recipes = dict.fromkeys(p.cell.tiny_recipe for p in plans if not p.base_ready and p.finished_run is None)
        for recipe in recipes:
            failures += _build_base(ablation, recipe, parent)
        for index, p in enumerate(plans, start=1):
            header = f"[{index}/{len(plans)}] {ablation.run_name(p.cell)}"
            if p.finished_run is not None:
                console.print(f"{header}: done earlier (run {p.finished_run.info.run_id}), reused")
                _show_reused(ablation, p, parent)
                continue
            console.print(f"{header}: starting ({p.todo()})")
            started = time.perf_counter()
            try:
                result = run_cell(ablation, p.cell, parent, progress)
                console.print(
                    f"{header}: finished in {time.perf_counter() - started:.0f} s, "
                    f"average accuracy {100 * result.average:.1f}%"
                )
            except Exception as error:  # one broken cell must not stop the others; its run is marked FAILED
                failures += 1
                console.print(
                    f"[red]{header}: FAILED: {type(error).__name__}: {error}[/red] (the full traceback "
                    "is the run's error/traceback.txt)"
                )
                console.print_exception(max_frames=8)
        if report is not None:
            try:
                path = report(ablation, parent)
            except CftError as error:  # no cell finished: a committed report stays as it is
                console.print(f"[yellow]report not written: {error}[/yellow]")
            else:
                parent.log_artifact(path, "report")
                console.print(f"report: {path}  (parent run {parent.run_id})")
    if failures:
        console.print(f"[red]{failures} cell(s) failed[/red]")
    return 1 if failures else 0


def check_backends(ablations: list[Ablation]) -> None:
    """Every cell's generation backend can run here (vLLM installed, a base URL): before any training."""
    for backend in dict.fromkeys(cell.backend for ablation in ablations for cell in ablation.cells):
        backend.check()


def _build_base(ablation: Ablation, recipe: TinyBaseRecipe, parent: Tracker) -> int:
    """The tiny base model in its own run under the parent: its recipe, pre-training curve and skills."""
    tags = spec_tags(ablation) | {f"{TAG_PREFIX}stage": "base-model", f"{TAG_PREFIX}fingerprint": recipe.fingerprint}
    try:
        with tracked_run(experiment_name(ablation.name), "tiny base model", tags, parent=parent.run_id) as tracker:
            build_base(recipe, tracker)
    except Exception as error:
        console.print(f"[red]tiny base model: FAILED: {type(error).__name__}: {error}[/red]")
        return 1
    return 0


def run_cell(ablation: Ablation, cell: ResolvedCell, parent: Tracker, progress: bool = True) -> EvalResult:
    """One cell in its own run: every resolved key logged, then train (or not) and evaluate."""
    supersede_unfinished_cell(cell.fingerprint)
    with tracked_run(
        experiment_name(ablation.name), ablation.run_name(cell), cell_tags(ablation, cell), parent=parent.run_id
    ) as tracker:
        tracker.log_params(spec_params(ablation))
        tracker.log_config(cell.config_dict())
        if cell.train is None:
            model = base_model_path(cell.base_model, cell.tiny_recipe, progress)
            if cell.base_model == TINY:
                tracker.log_metrics(base_skills(model))
        else:
            model = train_model(cell.train, tracker, progress)["model_dir"]
        return evaluate_model(model, cell.eval, cell.backend, tracker, progress)


def _show_reused(ablation: Ablation, p: CellPlan, parent: Tracker) -> None:
    """Give the spec's experiment a run for a cell done elsewhere, unless it lists the cell already."""
    source: Any = p.finished_run
    experiment = experiment_name(ablation.name)
    if shown_in_experiment(experiment, p.cell.fingerprint):
        return
    tags = cell_tags(ablation, p.cell, REUSED_CELL) | {REUSED_FROM: source.info.run_id}
    with tracked_run(experiment, ablation.run_name(p.cell), tags, parent=parent.run_id) as tracker:
        # the source's params (what it logged when it ran) and this spec's resolution of the same cell
        tracker.log_params(dict(source.data.params) | flatten(p.cell.config_dict()) | spec_params(ablation))
        copy_run_data(source.info.run_id, tracker, params=False)
        tracker.log_dict(p.cell.config_dict(), "config/resolved.json")


__all__ = ["CELL", "REUSED_CELL", "check_backends", "run_ablation", "run_cell"]
