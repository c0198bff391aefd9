"""Plan and execute an ablation into MLflow: one parent run per invocation, one child per cell.

Stages are deduplicated by fingerprint. A cell whose fingerprint already has a FINISHED run in
the store is reused, never rerun; a trained model on disk is reused by any cell that needs it.
An invocation killed at any point, when rerun, does only the unfinished work (a killed cell's
run, left RUNNING by the kill, is marked KILLED and superseded by the new one).
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from cft_lib.ablation.specs import Ablation, ResolvedCell
from cft_lib.ablation.stages import (
    base_model_stage,
    evaluate_stage,
    is_trained,
    log_base_skills,
    resolve_base_model,
    train_stage,
)
from cft_lib.data.builders import is_built
from cft_lib.paths import artifact_dir, is_done
from cft_lib.tracking import TAG_PREFIX, code_version, finished_cell_runs, flatten, mlflow_client

console = Console()


def experiment_name(spec: str) -> str:
    return f"cft/{spec}"


def spec_params(ablation: Ablation) -> dict[str, Any]:
    """Carried by the parent and every child (MLflow UI filters drop children without them)."""
    return {"spec": ablation.name, "profile": ablation.profile_name, "table": ablation.spec.table}


def spec_tags(ablation: Ablation) -> dict[str, str]:
    return {f"{TAG_PREFIX}spec": ablation.name, f"{TAG_PREFIX}profile": ablation.profile_name}


@dataclass
class CellPlan:
    cell: ResolvedCell
    finished_run: Any | None
    base_ready: bool
    trained: bool


def plan(ablation: Ablation) -> list[CellPlan]:
    finished = finished_cell_runs([c.fingerprint for c in ablation.cells])
    plans = []
    for cell in ablation.cells:
        base_ready = cell.base_model != "tiny" or is_done(
            artifact_dir("models", f"tiny-base-{cell.tiny_recipe.fingerprint}"))
        trained = cell.train is not None and is_trained(cell.train)
        plans.append(CellPlan(cell, finished.get(cell.fingerprint), base_ready, trained))
    return plans


def _todo(p: CellPlan) -> str:
    steps = [] if p.base_ready else ["build base model"]
    if p.cell.train is not None and not p.trained:
        data = p.cell.train.data
        steps += ([] if is_built(data) else [f"build {data.variant} data"]) + ["train"]
    return ", ".join(steps + ["evaluate"])


def print_plan(ablation: Ablation, plans: list[CellPlan]) -> None:
    """The cells, what they vary in, and which stages each still needs (a dry run stops here)."""
    keys = list(plans[0].cell.choices) if plans else []
    varying = [k for k in keys if len({str(p.cell.choices.get(k)) for p in plans}) > 1]
    shared = ", ".join(f"{k}={plans[0].cell.choices[k]}" for k in keys if k not in varying)
    seeds = f"seeds {ablation.seeds}; " if len(ablation.seeds) > 1 else ""
    table = Table(title=f"{ablation.spec.table}: {ablation.spec.title}", caption=f"{seeds}all cells: {shared}  "
                  f"(spec {ablation.spec_path}, profile {ablation.profile_path})")
    for column in ("cell", *varying, "fingerprint", "to do"):
        table.add_column(column)
    for p in plans:
        todo = f"nothing: done in run {p.finished_run.info.run_id[:12]}" if p.finished_run is not None else _todo(p)
        table.add_row(ablation.run_name(p.cell), *(str(p.cell.choices.get(k)) for k in varying), p.cell.fingerprint,
                      todo)
    console.print(table)


def run_ablation(ablation: Ablation, dry_run: bool = False, progress: bool = True) -> int:
    """Run every unfinished cell; report failures and keep going. Returns an exit status."""
    plans = plan(ablation)
    print_plan(ablation, plans)
    if dry_run:
        return 0
    # `mlflow run` hands its own run id down; our parent lives in the spec's experiment and store.
    project_run = os.environ.pop("MLFLOW_RUN_ID", None)
    mlflow = mlflow_client()
    experiment = mlflow.set_experiment(experiment_name(ablation.name))
    _supersede_unfinished_parents(ablation, experiment.experiment_id)
    failures = 0
    tags = spec_tags(ablation) | {f"{TAG_PREFIX}stage": "ablation", f"{TAG_PREFIX}code_version": code_version()}
    if project_run:
        tags[f"{TAG_PREFIX}mlproject_run_id"] = project_run
    with mlflow.start_run(run_name=f"{ablation.name} ({ablation.profile_name})", tags=tags) as parent:
        mlflow.log_params(spec_params(ablation) | {"cells": len(plans)})
        mlflow.log_artifact(str(ablation.spec_path), "spec")
        mlflow.log_artifact(str(ablation.profile_path), "spec")
        for recipe in dict.fromkeys(p.cell.tiny_recipe for p in plans if not p.base_ready and p.finished_run is None):
            try:  # the base model is its own run: its pre-training curve and what it has stored
                console.print(f"building the tiny base model {recipe.fingerprint} (pre-training, a few minutes)")
                base_model_stage(recipe, ablation.name, ablation.profile_name, progress)
            except Exception:
                failures += 1
                console.print(f"[red]tiny base model: FAILED[/red]\n{traceback.format_exc(limit=6)}")
        for index, p in enumerate(plans, start=1):
            header = f"[{index}/{len(plans)}] {ablation.run_name(p.cell)}"
            if p.finished_run is not None:
                console.print(f"{header}: done earlier (run {p.finished_run.info.run_id}), reused")
                continue
            console.print(f"{header}: running ({_todo(p)})")
            started = time.perf_counter()
            try:
                result = _run_cell(ablation, p.cell, progress)
                console.print(f"{header}: finished in {time.perf_counter() - started:.0f} s, "
                              f"average accuracy {100 * result.average:.1f}%")
            except Exception:  # one broken cell must not stop the others; its run is marked FAILED
                failures += 1
                console.print(f"[red]{header}: FAILED[/red]\n{traceback.format_exc(limit=6)}")
        from cft_lib.report.tables import write_report

        path = write_report(ablation)
        mlflow.log_artifact(str(path), "report")
        console.print(f"report: {path}  (parent run {parent.info.run_id})")
    if failures:
        console.print(f"[red]{failures} cell(s) failed[/red]")
    return 1 if failures else 0


def _run_cell(ablation: Ablation, cell: ResolvedCell, progress: bool):
    import mlflow

    _supersede_unfinished(cell.fingerprint)
    tags = spec_tags(ablation) | {f"{TAG_PREFIX}cell": cell.label, f"{TAG_PREFIX}fingerprint": cell.fingerprint,
                                  f"{TAG_PREFIX}stage": "cell", f"{TAG_PREFIX}code_version": code_version()}
    with mlflow.start_run(run_name=ablation.run_name(cell), nested=True, tags=tags):
        params = spec_params(ablation) | cell.params()
        params |= {f"train.{k}": v for k, v in flatten(cell.train.train).items()} if cell.train else {}
        params |= {f"data.{k}": v for k, v in flatten(cell.train.data).items()} if cell.train else {}
        params |= {f"eval.{k}": v for k, v in flatten(cell.eval).items()}
        params |= {"base_model": cell.base_model}
        for start in range(0, len(params), 100):
            mlflow.log_params(dict(list(params.items())[start:start + 100]))
        mlflow.log_dict({"choices": cell.choices, "train": flatten(cell.train) if cell.train else None,
                         "eval": flatten(cell.eval), "benchmarks": cell.benchmark_map}, "config/resolved.json")
        if cell.train is None:
            model = resolve_base_model(cell.base_model, cell.tiny_recipe, progress)
            if cell.base_model == "tiny":
                log_base_skills(model)
        else:
            model = train_stage(cell.train, progress=progress)["model_dir"]
        return evaluate_stage(model, cell.eval, progress=progress, backend=_backend(ablation, model, progress))


def _backend(ablation: Ablation, model: str, progress: bool):
    """The profile's generation backend for `model` (None = in-process transformers)."""
    binding = ablation.profile.eval
    if binding.backend == "vllm":
        from cft_lib.llm.vllm_backend import VLLMBackend

        return VLLMBackend(model, progress=progress)
    if binding.backend == "openai":
        from cft_lib.errors import ConfigError
        from cft_lib.llm.openai_backend import OpenAIBackend

        if not binding.base_url:
            raise ConfigError(f"{ablation.profile_path}: eval.base_url is required with eval.backend: openai")
        return OpenAIBackend(binding.base_url, model, concurrency=binding.concurrency, progress=progress)
    return None


def _supersede_unfinished_parents(ablation: Ablation, experiment_id: str) -> None:
    """Parent runs of this spec and profile left RUNNING by a killed invocation are marked KILLED."""
    client = mlflow_client().MlflowClient()
    stale = client.search_runs([experiment_id], f"tags.`cft.stage` = 'ablation' and tags.`cft.spec` = "
                                                f"'{ablation.name}' and tags.`cft.profile` = '{ablation.profile_name}' "
                                                "and attributes.status = 'RUNNING'")
    for run in stale:
        client.set_tag(run.info.run_id, "cft.superseded", "true")
        client.set_terminated(run.info.run_id, "KILLED")


def _supersede_unfinished(fingerprint: str) -> None:
    """Mark runs of this cell left RUNNING by a killed invocation as KILLED (one invocation per cell)."""
    mlflow = mlflow_client()
    client = mlflow.MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    for run in client.search_runs(experiments, f"tags.`cft.fingerprint` = '{fingerprint}' "
                                               "and attributes.status = 'RUNNING'"):
        client.set_tag(run.info.run_id, "cft.superseded", "true")
        client.set_terminated(run.info.run_id, "KILLED")
