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
from cft_lib.ablation.executors import CellOutcome, ExecutorConfig, run_cells
from cft_lib.ablation.plan import console, plan, print_plan
from cft_lib.ablation.specs import Ablation
from cft_lib.ablation.stages import base_model_path, base_skills, build_base, evaluate_model, train_model
from cft_lib.ablation.store import (
    CELL,
    REUSED_CELL,
    REUSED_FROM,
    cell_tags,
    copy_run_data,
    experiment_name,
    finished_cell_runs,
    shown_in_experiment,
    spec_params,
    spec_tags,
    supersede_unfinished_cell,
    supersede_unfinished_parents,
)
from cft_lib.errors import CftError
from cft_lib.eval.evaluate import EvalResult
from cft_lib.paths import artifact_dir, building
from cft_lib.tracking import TAG_PREFIX, Tracker, flatten, project_run_id, tracked_run
from cft_lib.train.recipe import TINY, TinyBaseRecipe

log = logging.getLogger(__name__)


def run_ablation(
    ablation: Ablation,
    dry_run: bool = False,
    progress: bool = True,
    parent_run_id: str | None = None,
    report: Callable[[Ablation, Tracker], Path] | None = None,
    executor: ExecutorConfig | None = None,
) -> int:
    """Run every unfinished cell; report failures and keep going. Returns an exit status.

    The parent run is the `mlflow run` project run when there is one (and no `parent_run_id`),
    else a new run in the spec's experiment, nested under `parent_run_id` if given. `report`
    (the caller's: cft_lib/report sits above this module) writes the table at the end; the file is
    logged on the parent run. `executor` runs the unfinished cells (default: here, one after another).
    """
    executor = executor or ExecutorConfig()
    executor.check()
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
        # shared work first, once: the tiny base models every unfinished cell starts from
        recipes = dict.fromkeys(p.cell.tiny_recipe for p in plans if not p.base_ready and p.finished_run is None)
        for recipe in recipes:
            failures += _build_base(ablation, recipe, parent)
        todo, headers = [], {}
        for index, p in enumerate(plans, start=1):
            header = f"[{index}/{len(plans)}] {ablation.run_name(p.cell)}"
            if p.finished_run is not None:
                console.print(f"{header}: done earlier (run {p.finished_run.info.run_id}), reused")
                with building(cell_lock(p.cell), f"cell {ablation.run_name(p.cell)}"):
                    _show_reused(ablation, p.cell, p.finished_run, parent.run_id)
                continue
            if executor.name != "local":
                console.print(f"{header}: queued ({p.todo()})")
            todo.append(p.cell)
            headers[id(p.cell)] = (header, p)

        def run_here(ablation: Ablation, cell: ResolvedCell, parent_run_id: str, progress: bool) -> CellOutcome:
            header, p = headers[id(cell)]
            console.print(f"{header}: starting ({p.todo()})")  # what is left now: earlier cells built some
            return run_cell_once(ablation, cell, parent_run_id, progress)

        run_one = run_here if executor.name == "local" else run_cell_once  # a Ray task needs a module function
        outcomes = run_cells(ablation, todo, parent.run_id, progress, executor, run_one, _announce)
        failures += sum(o.status == "failed" for o in outcomes)
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


def run_cell_once(ablation: Ablation, cell: ResolvedCell, parent_run_id: str, progress: bool = True) -> CellOutcome:
    """Run a cell unless another process has finished it, waiting while one runs it (a lock per
    fingerprint): each fingerprint is trained and evaluated once, however many processes want it.
    Never raises: a failure is the outcome (the traceback is on the cell's run)."""
    started = time.perf_counter()
    name = ablation.run_name(cell)
    try:
        with building(cell_lock(cell), f"cell {name}"):
            finished = finished_cell_runs([cell.fingerprint]).get(cell.fingerprint)
            if finished is not None:  # finished by the process this one waited for
                _show_reused(ablation, cell, finished, parent_run_id)
                average = finished.data.metrics.get("avg/accuracy")
                return CellOutcome(name, "reused", time.perf_counter() - started, average, run_id=finished.info.run_id)
            result, run_id = run_cell(ablation, cell, parent_run_id, progress)
    except Exception as error:  # one broken cell must not stop the others; its run is marked FAILED
        console.print_exception(max_frames=8)
        return CellOutcome(name, "failed", time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
    return CellOutcome(name, "finished", time.perf_counter() - started, result.average, run_id=run_id)


def cell_lock(cell: ResolvedCell) -> Path:
    """What a process holds while it runs a cell, or lists it in its experiment: one per fingerprint."""
    return artifact_dir("cells", cell.fingerprint)


def run_cell(
    ablation: Ablation, cell: ResolvedCell, parent_run_id: str, progress: bool = True
) -> tuple[EvalResult, str]:
    """One cell in its own run: every resolved key logged, then train (or not) and evaluate."""
    supersede_unfinished_cell(cell.fingerprint)
    with tracked_run(
        experiment_name(ablation.name), ablation.run_name(cell), cell_tags(ablation, cell), parent=parent_run_id
    ) as tracker:
        tracker.log_params(spec_params(ablation))
        swept = cell.sweep.keys if cell.sweep is not None else ()  # logged once tuned, with the best values
        tracker.log_params({k: v for k, v in flatten(cell.config_dict()).items() if k not in swept})
        tracker.log_dict(cell.config_dict(), "config/resolved.json")
        if cell.train is None:
            model = base_model_path(cell.base_model, cell.tiny_recipe, progress)
            if cell.base_model == TINY:
                tracker.log_metrics(base_skills(model))
        elif cell.sweep is not None:  # tuned: the best trial's model (trained in a trial run under this one)
            from cft_lib.ablation.sweep import tune

            best = tune(ablation, cell, tracker, progress)
            assert best.train is not None
            tracker.log_dict(best.config_dict(), "config/tuned.json")
            tuned = flatten(best.config_dict())
            tracker.log_params({k: tuned[k] for k in swept if k in tuned})  # train.learning_rate: the best trial's
            model = train_model(best.train, tracker, progress)["model_dir"]
        else:
            model = train_model(cell.train, tracker, progress)["model_dir"]
        return evaluate_model(model, cell.eval, cell.backend, tracker, progress), tracker.run_id


def _announce(outcome: CellOutcome) -> None:
    if outcome.status == "failed":
        console.print(
            f"[red]{outcome.label}: FAILED after {outcome.seconds:.0f} s: {outcome.error}[/red] (the full "
            "traceback is the run's error/traceback.txt)"
        )
    elif outcome.status == "reused":
        console.print(f"{outcome.label}: finished meanwhile by another process (run {outcome.run_id}), reused")
    else:
        average = f"{100 * outcome.average:.1f}%" if outcome.average is not None else "?"
        console.print(f"{outcome.label}: finished in {outcome.seconds:.0f} s, average accuracy {average}")


def _show_reused(ablation: Ablation, cell: ResolvedCell, source: Any, parent_run_id: str) -> None:
    """Give the spec's experiment a run for a cell done elsewhere, unless it lists the cell already."""
    experiment = experiment_name(ablation.name)
    if shown_in_experiment(experiment, cell.fingerprint):
        return
    tags = cell_tags(ablation, cell, REUSED_CELL) | {REUSED_FROM: source.info.run_id}
    with tracked_run(experiment, ablation.run_name(cell), tags, parent=parent_run_id) as tracker:
        # the source's params (what it logged when it ran) and this spec's resolution of the same cell
        tracker.log_params(dict(source.data.params) | flatten(cell.config_dict()) | spec_params(ablation))
        copy_run_data(source.info.run_id, tracker, params=False)
        tracker.log_dict(cell.config_dict(), "config/resolved.json")


__all__ = ["CELL", "REUSED_CELL", "check_backends", "run_ablation", "run_cell", "run_cell_once"]
