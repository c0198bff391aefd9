"""Every shipped spec at once: `cft ablation --all` and `cft report --all`.

Specs share cells (Table 2's Qwen2.5-Math-7B CFT model is also Tables 3, 5, 6, 7, 8 and 9's): a
training or an evaluation with the same fingerprint is done once and reused by every table that
needs it, so running all specs costs the unique fingerprints, not the sum of the tables' cells.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table

from cft_lib.ablation.specs import Ablation, load_ablation
from cft_lib.errors import SpecError
from cft_lib.paths import ablations_dir
from cft_lib.train.recipe import TINY

console = Console()


def table_order(table: str) -> tuple[int, int, str]:
    """Tables first (by number), then figures: "Table 2" < "Table 9" < "Figure 2"."""
    match = re.match(r"(Table|Figure)\s+(\d+)", table)
    if not match:
        return (2, 0, table)
    return (0 if match[1] == "Table" else 1, int(match[2]), table)


def is_paper_table(table: str) -> bool:
    """A paper's table or figure ("Table 8", "Figure 2"), not a study of ours beyond it (lr_sweep)."""
    return table_order(table)[0] < 2


def spec_names() -> list[str]:
    return sorted(p.stem for p in ablations_dir().glob("*.yaml"))


def load_all(
    profile: str, seeds: int | None = None, overrides: dict | None = None, extensions: bool = False
) -> list[Ablation]:
    """Every spec of a paper table resolved on `profile`, in the paper's table order (with `extensions`,
    also the studies beyond the paper, such as lr_sweep, after them); all problems raised together."""
    loaded, problems = [], []
    for name in spec_names():
        try:
            loaded.append(load_ablation(name, profile, seeds=seeds, overrides=overrides))
        except SpecError as exc:
            problems.append(str(exc))
    if problems:
        raise SpecError("\n".join(problems))
    chosen = [a for a in loaded if extensions or is_paper_table(a.spec.table)]
    return sorted(chosen, key=lambda a: table_order(a.spec.table))


def suite_counts(ablations: list[Ablation]) -> dict[str, int]:
    """Cells summed over specs, and the unique work behind them (cell fingerprints, trainings, base models)."""
    cells = [cell for a in ablations for cell in a.cells]
    trainings = {cell.train.fingerprint for cell in cells if cell.train is not None}
    bases = {cell.tiny_recipe.fingerprint for cell in cells if cell.base_model == TINY}
    return {
        "specs": len(ablations),
        "cells": len(cells),
        "unique_cells": len({c.fingerprint for c in cells}),
        "trainings": len(trainings),
        "tiny_bases": len(bases),
    }


def print_suite(ablations: list[Ablation], done: set[str] | None = None) -> None:
    """One line per spec (which paper table, its cells, how many are done) and the totals."""
    done = done or set()
    table = Table(title=f"all specs, profile {ablations[0].profile_name if ablations else '?'}")
    for column in ("table", "spec", "cells", "done", "benchmarks bound", "hypotheses"):
        table.add_column(column)
    for a in ablations:
        bound = sorted({name for c in a.cells for name in c.benchmark_map})
        finished = sum(c.fingerprint in done for c in a.cells)
        table.add_row(
            a.spec.table,
            a.name,
            str(len(a.cells)),
            str(finished),
            f"{len(bound)}/{len(a.spec.benchmarks)}",
            str(len(a.spec.hypotheses)),
        )
    console.print(table)
    counts = suite_counts(ablations)
    console.print(
        f"{counts['specs']} specs: {counts['cells']} cells in total, {counts['unique_cells']} unique cell "
        f"fingerprints (each evaluated once), {counts['trainings']} unique trainings, "
        f"{counts['tiny_bases']} tiny base model(s)"
    )


def unbuilt_tiny_bases(ablations: list[Ablation]) -> dict[str, str]:
    """recipe fingerprint -> a base-model name that binds it, for every tiny base not built yet."""
    from cft_lib.paths import is_done
    from cft_lib.train.recipe import tiny_base_dir

    out: dict[str, str] = {}
    cost: dict[str, float] = {}
    for ablation in ablations:
        for cell in ablation.cells:
            key, recipe = cell.tiny_recipe.fingerprint, cell.tiny_recipe
            if cell.base_model == TINY and key not in out and not is_done(tiny_base_dir(recipe)):
                out[key] = cell.choices["base_model"]
                arch = recipe.architecture  # rough pre-training cost: documents x width^2 x depth
                cost[key] = (
                    (recipe.problems + recipe.fact_exposures * 18) * arch.hidden_size**2 * arch.num_hidden_layers
                )
    return dict(sorted(out.items(), key=lambda kv: -cost[kv[0]]))  # longest first: the others fill in beside it


def build_tiny_bases(
    ablations: list[Ablation], profile: str, workers: int | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> int:
    """Pre-train every missing tiny base model, `workers` at a time (default: one per core).

    Pre-training runs on one thread (train/pretrain.py: PRETRAIN_THREADS), so on 2 cores two base
    models build side by side in about the time of one. Each is a `cft build-base` process with its
    own MLflow run and a log under $CFT_HOME/logs/. Returns the number that failed.
    """
    import os
    import subprocess
    import sys
    import time

    from cft_lib.paths import cft_home
    from cft_lib.tracking import mlflow_client

    todo = unbuilt_tiny_bases(ablations)
    if not todo:
        return 0
    # create the tracking store here, once: builds that start together on a fresh SQLite store would
    # each run its schema migrations and collide
    mlflow_client().MlflowClient().search_experiments(max_results=1)
    workers = workers or max(1, min(len(todo), os.cpu_count() or 1))
    logs = cft_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    queue = list(todo.items())
    running: list[tuple[str, str, subprocess.Popen, float]] = []
    failed = 0
    console.print(f"pre-training {len(queue)} tiny base model(s), {workers} at a time")
    while queue or running:
        while queue and len(running) < workers:
            key, name = queue.pop(0)
            log = logs / f"build-base-{key}.log"
            command = [
                sys.executable,
                "-m",
                "cft_lib",
                "build-base",
                "--profile",
                profile,
                "--base-model",
                name,
                *(arg for item in overrides for arg in ("--set", item)),
            ]
            with open(log, "w") as handle:
                process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
            running.append((key, name, process, time.perf_counter()))
            console.print(f"  building {name} (recipe {key}); log: {log}")
        time.sleep(2)
        for entry in list(running):
            key, name, process, started = entry
            if process.poll() is None:
                continue
            running.remove(entry)
            if process.returncode:
                failed += 1
                console.print(f"[red]  {name}: build FAILED (exit {process.returncode}); see {logs}[/red]")
            else:
                console.print(f"  {name}: built in {time.perf_counter() - started:.0f} s")
    return failed
