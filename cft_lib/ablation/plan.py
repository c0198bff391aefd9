"""What an ablation still has to do: which cells are done, which stages each unfinished cell needs.

Read from the tracking store and the artifact directories only, without importing the ML stack,
so `cft ablation --dry-run` answers in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from cft_lib.ablation.cell import ResolvedCell
from cft_lib.ablation.specs import Ablation
from cft_lib.ablation.store import finished_cell_runs
from cft_lib.data.builders import is_built
from cft_lib.paths import is_done
from cft_lib.train.recipe import TINY, tiny_base_dir

console = Console()


@dataclass
class CellPlan:
    cell: ResolvedCell
    finished_run: Any | None  # the FINISHED run of this fingerprint, in any experiment
    base_ready: bool
    trained: bool

    def todo(self) -> str:
        """The stages this cell still needs, in order, as the disk says now (earlier cells may have
        built its base model or its data since the plan was made)."""
        base_ready = self.base_ready or is_done(tiny_base_dir(self.cell.tiny_recipe))
        steps = [] if base_ready else ["build base model"]
        sweep = self.cell.sweep
        if self.cell.train is not None and sweep is not None:  # trials train variants of the cell's config
            steps += [f"tune {', '.join(sweep.keys)} ({sweep.trials} trials)"]
        elif self.cell.train is not None and not (self.trained or self.cell.train.is_trained):
            data = self.cell.train.data
            steps += ([] if is_built(data) else [f"build {data.variant} data"]) + ["train"]
        return ", ".join(steps + ["evaluate"])


def plan(ablation: Ablation) -> list[CellPlan]:
    finished = finished_cell_runs([c.fingerprint for c in ablation.cells])
    plans = []
    for cell in ablation.cells:
        base_ready = cell.base_model != TINY or is_done(tiny_base_dir(cell.tiny_recipe))
        trained = cell.train is not None and cell.train.is_trained
        plans.append(CellPlan(cell, finished.get(cell.fingerprint), base_ready, trained))
    return plans


def print_plan(ablation: Ablation, plans: list[CellPlan]) -> None:
    """The cells, what they vary in, and which stages each still needs (a dry run stops here)."""
    keys = list(plans[0].cell.choices) if plans else []
    varying = [k for k in keys if len({str(p.cell.choices.get(k)) for p in plans}) > 1]
    shared = ", ".join(f"{k}={plans[0].cell.choices[k]}" for k in keys if k not in varying)
    seeds = f"seeds {ablation.seeds}; " if len(ablation.seeds) > 1 else ""
    overrides = f"; --set {' '.join(f'{k}={v}' for k, v in ablation.overrides.items())}" if ablation.overrides else ""
    table = Table(
        title=f"{ablation.spec.table}: {ablation.spec.title}",
        caption=f"{seeds}all cells: {shared}  (spec {ablation.spec_path}, profile {ablation.profile_path}{overrides})",
    )
    for column in ("cell", *varying, "fingerprint", "to do"):
        table.add_column(column)
    for p in plans:
        todo = f"nothing: done in run {p.finished_run.info.run_id[:12]}" if p.finished_run is not None else p.todo()
        table.add_row(
            ablation.run_name(p.cell), *(str(p.cell.choices.get(k)) for k in varying), p.cell.fingerprint, todo
        )
    console.print(table)
    print_bindings(ablation)


def paper_tables_benchmarks() -> dict[str, list[str]]:
    """Every benchmark the shipped specs report (the paper's tables), with the tables that report it."""
    from cft_lib.ablation.schema import Spec, parse_model, read_yaml
    from cft_lib.ablation.specs import find_spec
    from cft_lib.ablation.suite import is_paper_table, spec_names, table_order

    tables: dict[str, list[str]] = {}
    for name in spec_names():
        path = find_spec(name)
        spec = parse_model(path, Spec, read_yaml(path))
        if not is_paper_table(spec.table):
            continue
        for benchmark in spec.benchmarks:
            tables.setdefault(benchmark, []).append(spec.table)
    return {b: sorted(set(t), key=table_order) for b, t in tables.items()}


def print_bindings(ablation: Ablation) -> None:
    """Which of the paper's benchmarks this profile binds (all tables, not only this spec's), and the
    profile's protocol: the official run's points it matches and its named deviations."""
    profile = ablation.profile
    table = Table(title=f"Benchmarks of the paper's tables in profile {ablation.profile_name}")
    for column in ("paper benchmark", "ours", "tables", "in this spec"):
        table.add_column(column)
    for name, tables in paper_tables_benchmarks().items():
        ours = profile.benchmarks.get(name)
        table.add_row(
            name, ours or "[red]not bound[/red]", ", ".join(tables), "yes" if name in ablation.spec.benchmarks else ""
        )
    console.print(table)
    if profile.protocol:
        points = sorted(profile.protocol.items(), key=lambda kv: kv[1].item)
        matched = [name for name, p in points if p.status == "matched"]
        others = [f"{p.item} {name} ({p.status})" for name, p in points if p.status != "matched"]
        console.print(
            f"Protocol of the official run: {len(matched)} of {len(points)} points matched; not matched: "
            f"{', '.join(others)} (each with its reason in {ablation.profile_path}, and in every report)"
        )
