"""Regenerate a spec's paper table as Markdown from the MLflow store alone, every number with its CI.

No state is kept from the run that produced the numbers: the spec and profile are resolved to
cell fingerprints, each (cell, seed)'s newest FINISHED run with that fingerprint supplies its
per-problem records (the `eval/records.jsonl` artifact), and every figure is recomputed from
them with a bootstrap over problems and seeds (report/stats.py). Our numbers and the paper's
stand side by side; the paper's rows that the profile does not bind show the paper's number only.

Blocks: the paper's table (with AVG and Δ = CFT − best SFT where the spec asks), paired
differences between every two cells, the critique
skill of every cell (where the profile scores one), the tiny base model (what it has stored),
training (steps, examples, tokens, time) and the cells with their fingerprints and runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cft_lib.ablation.cell import ResolvedCell
from cft_lib.ablation.specs import Ablation
from cft_lib.ablation.store import finished_cell_runs
from cft_lib.data.methods import methods
from cft_lib.data.noise import ERROR_KINDS
from cft_lib.errors import CftError
from cft_lib.report.stats import Bootstrap, Estimate, Outcomes, interval, seed_resamples
from cft_lib.tracking import Tracker, mlflow_client, safe_uri, tracking_uri

MISSING = "—"
DELTA = "Δ = CFT − SFT_best"
AVG = "AVG"
SFT_METHODS = ("sft", "sft-verified", "sft-teacher")


def report_path(ablation: Ablation, root: Path | None = None) -> Path:
    return (root or Path("reports")) / ablation.profile_name / f"{ablation.name}.md"


# ---------------------------------------------------------------------------------------------
# Reading the store


@dataclass
class CellRuns:
    """The finished runs of one labelled cell (one per seed) and their per-problem records."""

    label: str
    cells: list[ResolvedCell]
    runs: list[Any] = field(default_factory=list)  # MLflow runs, in seed order; only seeds that finished
    records: list[list[dict[str, Any]]] = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.cells[0].choices["method"]

    def metric(self, key: str) -> float | None:
        """Mean over seeds of a run metric (None if no run has it)."""
        values = [r.data.metrics[key] for r in self.runs if key in r.data.metrics]
        return sum(values) / len(values) if values else None


def _records(run: Any) -> list[dict[str, Any]]:
    mlflow = mlflow_client()
    path = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="eval/records.jsonl")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def collect(ablation: Ablation) -> dict[str, CellRuns]:
    """label -> its runs and records, in the spec's order."""
    found = finished_cell_runs([c.fingerprint for c in ablation.cells])
    out: dict[str, CellRuns] = {}
    for cell in ablation.cells:
        entry = out.setdefault(cell.label, CellRuns(cell.label, []))
        entry.cells.append(cell)
        run = found.get(cell.fingerprint)
        if run is not None:
            entry.runs.append(run)
            entry.records.append(_records(run))
    return out


# ---------------------------------------------------------------------------------------------
# Outcome matrices


def solve_outcomes(cells: dict[str, CellRuns], benchmark: str) -> dict[str, Outcomes]:
    """label -> (seeds x problems) correctness on `benchmark`, problems aligned by id across cells."""
    per_label: dict[str, list[dict[str, bool]]] = {}
    for label, entry in cells.items():
        rows = [
            {r["id"]: bool(r["correct"]) for r in records if r["benchmark"] == benchmark} for records in entry.records
        ]
        rows = [row for row in rows if row]
        if rows:
            per_label[label] = rows
    if not per_label:
        return {}
    common = sorted(set.intersection(*(set(row) for rows in per_label.values() for row in rows)))
    return {
        label: Outcomes.of([[float(row[i]) for i in common] for row in rows])
        for label, rows in per_label.items()
        if common
    }


def skill_outcomes(entry: CellRuns, benchmark: str) -> dict[str, Outcomes]:
    """measure -> (seeds x items) numerators and denominators of each critique-skill measure."""
    per_seed = [
        sorted((r for r in records if r["benchmark"] == benchmark and r.get("skill")), key=lambda r: r["id"])
        for records in entry.records
    ]
    per_seed = [rows for rows in per_seed if rows]
    if not per_seed:
        return {}
    width = min(len(rows) for rows in per_seed)
    per_seed = [rows[:width] for rows in per_seed]

    def measure(value, counts) -> Outcomes:
        weights = [[1.0 if counts(r["skill"]) else 0.0 for r in rows] for rows in per_seed]
        values = [[float(value(r["skill"])) if counts(r["skill"]) else 0.0 for r in rows] for rows in per_seed]
        return Outcomes.of(values, weights)

    def every(_):
        return True

    def wrong(s):
        return s["truth"] == "wrong"

    out = {
        "verdict accuracy": measure(lambda s: s["verdict_correct"], every),
        "says right": measure(lambda s: s["verdict"] == "right", every),
        "first wrong step named": measure(lambda s: s["located"], wrong),
        "recomputed values": Outcomes.of(
            [[float(r["skill"]["values_right"]) for r in rows] for rows in per_seed],
            [[float(r["skill"]["values_total"]) for r in rows] for rows in per_seed],
        ),
        "false flags": measure(lambda s: s["verdict"] == "wrong", lambda s: s["truth"] == "right"),
    }
    for kind in ERROR_KINDS:
        out[f"caught: {kind.replace('_', ' ')}"] = measure(
            lambda s: s["verdict"] == "wrong", lambda s, k=kind: s["kind"] == k
        )
    out["no verdict"] = measure(lambda s: s["verdict"] is None, every)
    return out


class Replicates:
    """Point values and bootstrap replicates of every (benchmark, cell) measure, sharing resamples:
    the same problems for every cell of a benchmark, the same seeds for every benchmark of a cell."""

    def __init__(self, table: dict[str, dict[str, Outcomes]]) -> None:
        self.points: dict[str, float] = {}
        self.columns: dict[str, np.ndarray] = {}
        seeds: dict[str, np.ndarray] = {}
        for benchmark, cells in table.items():
            if not cells:
                continue
            boot = Bootstrap(next(iter(cells.values())).values.shape[1], stream=benchmark)
            for cell, outcomes in cells.items():
                n_seeds = outcomes.values.shape[0]
                if cell not in seeds or seeds[cell].shape[1] != n_seeds:
                    seeds[cell] = seed_resamples(n_seeds, stream=cell)
                key = f"{benchmark}|{cell}"
                self.points[key] = outcomes.point
                self.columns[key] = boot.replicate(outcomes, seeds[cell])

    def has(self, benchmark: str, cell: str) -> bool:
        return f"{benchmark}|{cell}" in self.points

    def estimate(self, statistic) -> Estimate:
        """`statistic(get)` where get(benchmark, cell) gives a number or an array of replicates."""
        point = statistic(lambda b, c: self.points[f"{b}|{c}"])
        return interval(float(point), np.asarray(statistic(lambda b, c: self.columns[f"{b}|{c}"])))


# ---------------------------------------------------------------------------------------------
# Rendering


def _fmt(value: float | None) -> str:
    return MISSING if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def _fmt_ci(estimate: Estimate | None, mark: bool = False, digits: int = 1) -> str:
    if estimate is None or math.isnan(estimate.value):
        return MISSING
    if math.isnan(estimate.low):
        return f"{estimate.value:.{digits}f}"
    star = "*" if mark and estimate.excludes_zero else ""
    return f"{estimate.value:.{digits}f} [{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]{star}"


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


INFO_NAMES = {"data": "#Data", "compute": "compute"}
REFERENCE = " (reference)"


def _groups(ablation: Ablation, cells: dict[str, CellRuns], labels: list[str]) -> dict[str, list[str]]:
    """`group_by` value -> its labels, in order (one group "" when the layout groups nothing)."""
    group_by = ablation.spec.layout.group_by
    groups: dict[str, list[str]] = {}
    for label in labels:
        groups.setdefault(str(cells[label].cells[0].choices.get(group_by, "")) if group_by else "", []).append(label)
    return groups


def _delta_groups(ablation: Ablation, cells: dict[str, CellRuns]) -> dict[str, tuple[list[str], list[str], str]]:
    """Δ column name -> (CFT labels, SFT labels, the last label of its group): one per `group_by` value."""
    groups = _groups(ablation, cells, list(cells))
    out = {}
    for key, members in groups.items():
        cft = [label for label in members if cells[label].method == "cft"]
        sft = [label for label in members if cells[label].method in SFT_METHODS]
        if cft and sft:
            out[DELTA if len(groups) == 1 else f"{DELTA} ({key})"] = (cft, sft, members[-1])
    return out


def _info_text(entry: CellRuns, info: str) -> str:
    """Ours for an info entry: training records, or training time (seconds; device-hours at scale)."""
    if entry.method == "base":
        return "0"
    if info == "data":
        return _int(entry.metric("train/examples"))
    seconds = entry.metric("train/seconds")
    if seconds is None:
        return MISSING
    hours = seconds * (entry.metric("train/processes") or 1) / 3600
    return f"{hours:.1f} device-hours" if hours >= 0.1 else f"{seconds:,.0f} s"


def _main_table(ablation: Ablation, cells: dict[str, CellRuns]) -> tuple[list[str], list[list[str]], list[str]]:
    """(header, rows, notes) of the paper's table, ours with CIs beside the paper's numbers; reference
    rows (other people's models) show the paper's numbers only."""
    spec = ablation.spec
    bound = {name: ours for c in ablation.cells for name, ours in c.benchmark_map.items()}
    labels = list(cells)
    table = {name: solve_outcomes(cells, ours) for name, ours in bound.items()}
    reps = Replicates(table)
    measured = [name for name in spec.benchmarks if name in bound and table.get(name)]

    ours: dict[tuple[str, str], Estimate | None] = {}
    for name in spec.benchmarks:
        for label in labels:
            ours[name, label] = reps.estimate(lambda get, n=name, c=label: get(n, c)) if reps.has(name, label) else None
    extras = spec.layout.extra
    rows_order = list(spec.benchmarks)
    if AVG in extras:
        rows_order.append(AVG)
        for label in labels:
            complete = measured and all(reps.has(n, label) for n in measured)
            ours[AVG, label] = (
                reps.estimate(lambda get, c=label: _mean([get(n, c) for n in measured])) if complete else None
            )
    info_rows = [INFO_NAMES[i] for i in spec.layout.info]
    texts = {(INFO_NAMES[i], label): _info_text(cells[label], i) for i in spec.layout.info for label in labels}

    paper = {(row, col): v for row, values in spec.paper.items() for col, v in values.items() if v is not None}
    derived: set[tuple[str, str]] = set()  # paper AVGs the paper does not print: the mean of its numbers
    if AVG in extras:
        for label in [*labels, *spec.references]:
            if (AVG, label) not in paper:
                found = [paper.get((n, label)) for n in spec.benchmarks]
                values = [v for v in found if v is not None]
                if values and len(values) == len(found):
                    paper[AVG, label] = sum(values) / len(values)
                    derived.add((AVG, label))
    columns = [*spec.references, *labels]
    deltas = _delta_groups(ablation, cells) if "DELTA" in extras else {}
    for name, (cft, sft, last) in deltas.items():
        columns.insert(columns.index(last) + 1, name)
        for row in rows_order:
            names = measured if row == AVG else [row]
            have = names and all(reps.has(n, c) for n in names for c in cft + sft)
            ours[row, name] = (
                reps.estimate(
                    lambda get, ns=tuple(names), a=tuple(cft), b=tuple(sft): (
                        _best([_mean([get(n, c) for n in ns]) for c in a])
                        - _best([_mean([get(n, c) for n in ns]) for c in b])
                    )
                )
                if have
                else None
            )
            p_cft = [v for c in cft if (v := paper.get((row, c))) is not None]
            p_sft = [v for c in sft if (v := paper.get((row, c))) is not None]
            if len(p_cft) == len(cft) and len(p_sft) == len(sft) and p_cft and p_sft:
                paper[row, name] = max(p_cft) - max(p_sft)

    def value(row: str, col: str) -> str:
        if col in spec.references:
            return ""
        if row in info_rows:
            return texts.get((row, col), "")
        estimate = ours.get((row, col))
        return _fmt_ci(None if estimate is None else estimate.scaled(100), mark=col in deltas)

    def paper_value(row: str, col: str) -> str:
        if row in info_rows:
            return spec.paper_info.get(row, {}).get(col, MISSING)
        return _fmt(paper.get((row, col))) + ("†" if (row, col) in derived else "")

    def benchmark_label(name: str) -> str:
        if name == AVG:
            return "**AVG**"
        if name in info_rows:
            return name
        return f"{name} → {bound[name]}" if name in bound else f"{name}*"

    def cell_label(col: str) -> str:
        return f"{col}{REFERENCE}" if col in spec.references else col

    rows_order += info_rows
    if spec.layout.rows == "cell":
        header = ["Cell"] + [f"{benchmark_label(r)} ({who})" for r in rows_order for who in ("ours", "paper")]
        body = [
            [cell_label(col)] + [v for r in rows_order for v in (value(r, col), paper_value(r, col))] for col in columns
        ]
    else:
        header = ["Task"] + [
            f"{cell_label(c)} ({who})"
            for c in columns
            for who in ("ours", "paper")
            if who == "paper" or c not in spec.references
        ]
        body = [
            [benchmark_label(r)]
            + [v for c in columns for v in (([] if c in spec.references else [value(r, c)]) + [paper_value(r, c)])]
            for r in rows_order
        ]
    notes = [f"\\* not bound in profile `{ablation.profile_name}`: the paper's number only."]
    if spec.references:
        notes.append("Rows marked (reference) are other people's models: the paper's numbers only, never run here.")
    if AVG in extras:
        notes.append(
            "AVG (ours) averages the benchmarks bound in this profile; AVG (paper) is the paper's own "
            "average"
            + ("; † marks the mean of the paper's numbers where the paper prints no average." if derived else ".")
        )
    if deltas:
        notes.append(
            "Δ (ours) is the best CFT cell minus the best SFT cell"
            + (" of the same base model" if len(deltas) > 1 else "")
            + ", the best chosen inside every bootstrap resample; a trailing * marks a Δ whose 95% CI "
            "excludes 0."
        )
    if "compute" in info_rows:
        notes.append(
            "compute (ours) is the training time measured in the run: wall seconds on this machine, or "
            "device-hours (seconds x processes) at scale; the paper's is its GPU-hours."
        )
    if "#Data" in info_rows:
        notes.append("#Data (ours) is the number of training records the cell saw.")
    tuned = {label: cells[label].cells[0].sweep for label in labels if cells[label].cells[0].sweep is not None}
    if tuned:
        budgets = sorted({f"{sweep.trials} trials" for sweep in tuned.values() if sweep is not None})
        notes.append(
            f"Tuned by a sweep ({' / '.join(budgets)} each, chosen on validation accuracy; see Tuning): "
            f"{', '.join(tuned)}."
        )
    return header, body, notes


MAX_ALL_PAIRS = 6  # up to this many cells in a group every pair is shown; beyond, each cell vs the group's first


def _pairs(ablation: Ablation, cells: dict[str, CellRuns], labels: list[str]) -> list[tuple[str, str]]:
    """The pairs to compare: within each `group_by` group, every pair, or (a large group) each cell
    against the group's first cell (Table 2: each method vs its base model; Table 9: vs direct T=0)."""
    out = []
    for members in _groups(ablation, cells, labels).values():
        if len(members) <= MAX_ALL_PAIRS:
            out += [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        else:
            out += [(members[0], b) for b in members[1:]]
    return out


def _measured(ablation: Ablation, cells: dict[str, CellRuns]) -> tuple[dict[str, str], list[str], Replicates]:
    """(paper benchmark -> ours, the spec's benchmarks with measured cells in order, their replicates)."""
    bound = {name: ours for c in ablation.cells for name, ours in c.benchmark_map.items()}
    names = [n for n in ablation.spec.benchmarks if n in bound]
    table = {name: solve_outcomes(cells, bound[name]) for name in names}
    return bound, [n for n in names if table.get(n)], Replicates(table)


def _differences_block(ablation: Ablation, cells: dict[str, CellRuns]) -> list[str]:
    """Pairs of measured cells (_pairs): paired Δ (later cell − earlier one) per bound benchmark and on AVG,
    with a paired bootstrap CI over problems (and seeds); * where the CI excludes 0."""
    bound, names, reps = _measured(ablation, cells)
    labels = [label for label in cells if names and all(reps.has(n, label) for n in names)]
    if len(labels) < 2:
        return []
    rows = []
    for first, second in _pairs(ablation, cells, labels):
        row = [f"{second} − {first}"]
        for n in names:
            row.append(
                _fmt_ci(reps.estimate(lambda get, n=n, a=first, b=second: get(n, b) - get(n, a)).scaled(100), mark=True)
            )
        row.append(
            _fmt_ci(
                reps.estimate(
                    lambda get, a=first, b=second: _mean([get(n, b) for n in names]) - _mean([get(n, a) for n in names])
                ).scaled(100),
                mark=True,
            )
        )
        rows.append(row)
    header = ["Δ (points)", *[f"{n} → {bound[n]}" for n in names], "AVG"]
    return [
        "## Paired differences",
        "",
        "Pairs of cells on the same problems (every pair, or in a large table each cell against the first of "
        "its group): Δ in accuracy points with its paired 95% bootstrap CI; "
        "* marks a Δ whose CI excludes 0 (a difference the evaluation can tell from noise).",
        "",
        _markdown(header, rows),
        "",
    ]


def hypothesis_verdicts(ablation: Ablation, cells: dict[str, CellRuns]) -> list[dict[str, Any]]:
    """Each hypothesis of the spec, tested on our cells: best(better) − best(worse) in points with its
    paired 95% bootstrap CI; supported (CI above 0), contradicted (below 0) or inconclusive."""
    bound, names, reps = _measured(ablation, cells)
    out = []
    for hypothesis in ablation.spec.hypotheses:
        on = names if hypothesis.benchmark == AVG else [hypothesis.benchmark]
        wanted = [*hypothesis.better, *hypothesis.worse]
        entry: dict[str, Any] = {
            "claim": hypothesis.claim,
            "on": hypothesis.benchmark,
            "estimate": None,
            "verdict": "not measured",
        }
        if hypothesis.benchmark != AVG and hypothesis.benchmark not in bound:
            entry["verdict"] = f"not testable in profile `{ablation.profile_name}` ({hypothesis.benchmark} not bound)"
        elif on and all(reps.has(n, c) for n in on for c in wanted):
            estimate = reps.estimate(
                lambda get, ns=tuple(on), h=hypothesis: (
                    _best([_mean([get(n, c) for n in ns]) for c in h.better])
                    - _best([_mean([get(n, c) for n in ns]) for c in h.worse])
                )
            ).scaled(100)
            entry["estimate"] = estimate
            entry["verdict"] = (
                "supported" if estimate.low > 0 else "contradicted" if estimate.high < 0 else "inconclusive"
            )
        out.append(entry)
    return out


def _hypotheses_block(ablation: Ablation, cells: dict[str, CellRuns]) -> list[str]:
    verdicts = hypothesis_verdicts(ablation, cells)
    if not verdicts:
        return ["## The paper's claim, tested", "", "This spec states no hypothesis.", ""]
    rows = []
    for entry, hypothesis in zip(verdicts, ablation.spec.hypotheses, strict=True):
        compared = f"best of {', '.join(hypothesis.better)} − best of {', '.join(hypothesis.worse)}"
        rows.append([entry["claim"], compared, entry["on"], _fmt_ci(entry["estimate"]), f"**{entry['verdict']}**"])
    return [
        "## The paper's claim, tested",
        "",
        f"Profile `{ablation.profile_name}`. Effect in accuracy points (the best cell of each side chosen inside "
        "every resample), with its paired 95% bootstrap CI over problems (and seeds): **supported** when the CI "
        "lies above 0, **contradicted** when it lies below 0, **inconclusive** otherwise. At the tiny profile "
        "this tests the claim in the micro-world analogue, not the paper's models.",
        "",
        _markdown(["claim (the paper's)", "compared", "on", "effect (points)", "verdict"], rows),
        "",
    ]


def _self_critique_block(cells: dict[str, CellRuns]) -> list[str]:
    """Two-stage self-critique per cell: mean attempts, share judged correct, the judge's accuracy."""
    rows = []
    for label, entry in cells.items():
        per_seed = [[r for r in records if r.get("attempts")] for records in entry.records]
        per_seed = [rows_ for rows_ in per_seed if rows_]
        if not per_seed:
            continue
        width = min(len(x) for x in per_seed)
        per_seed = [sorted(x, key=lambda r: (r["benchmark"], r["id"]))[:width] for x in per_seed]

        def estimate(values, weights=None, key=label):
            outcomes = Outcomes.of(values, weights)
            return Replicates({f"selfcritique:{key}": {key: outcomes}}).estimate(
                lambda get: get(f"selfcritique:{key}", key)
            )

        attempts = estimate([[float(r["attempts"]) for r in x] for x in per_seed])
        judged = estimate([[float(r["judged_correct"]) for r in x] for x in per_seed]).scaled(100)
        judge = estimate(
            [
                [sum((v is True) == ok for v, ok in zip(r["verdicts"], r["attempt_correct"], strict=True)) for r in x]
                for x in per_seed
            ],
            [[float(len(r["verdicts"])) for r in x] for x in per_seed],
        ).scaled(100)
        said_right = estimate(
            [[sum(v is True for v in r["verdicts"]) for r in x] for x in per_seed],
            [[float(len(r["verdicts"])) for r in x] for x in per_seed],
        ).scaled(100)
        first = estimate([[float(r["attempt_correct"][0]) for r in x] for x in per_seed]).scaled(100)
        rows.append([label, _fmt_ci(attempts, digits=2), *(_fmt_ci(e) for e in (judged, judge, said_right, first))])
    if not rows:
        return []
    return [
        "## Two-stage self-critique",
        "",
        "Per problem of the solving benchmarks: attempts made (at most the profile's cap), whether the answer kept "
        "was judged correct by the model's own critique, the judge's accuracy over every attempt it critiqued "
        '(its verdict against the gold answer), the share of critiques that said "correct", and the accuracy '
        "of the first attempt alone. 95% bootstrap CIs.",
        "",
        _markdown(
            [
                "cell",
                "mean attempts",
                "answer judged correct %",
                "judge accuracy %",
                "judge says correct %",
                "first attempt correct %",
            ],
            rows,
        ),
        "",
    ]


def _mean(values: list) -> Any:
    return sum(values) / len(values)


def _best(values: list) -> Any:
    return np.maximum.reduce(values) if isinstance(values[0], np.ndarray) else max(values)


def _skill_block(ablation: Ablation, cells: dict[str, CellRuns]) -> list[str]:
    benchmark = ablation.profile.eval.critique_benchmark
    if not benchmark:
        return []
    per_label = {label: skill_outcomes(entry, benchmark) for label, entry in cells.items()}
    per_label = {label: measures for label, measures in per_label.items() if measures}
    if not per_label:
        return []
    measures = list(next(iter(per_label.values())))
    rows = []
    for label, outcomes in per_label.items():
        row = [label]
        for measure in measures:
            reps = Replicates({f"critique:{measure}": {label: outcomes[measure]}})
            row.append(_fmt_ci(reps.estimate(lambda get, m=measure, c=label: get(f"critique:{m}", c)).scaled(100)))
        rows.append(row)
    n = next(iter(per_label.values()))["verdict accuracy"].values.shape[1]
    return [
        "## Critique skill",
        "",
        f"Each cell critiques the {n} held-out responses of `{benchmark}` (half right, the rest split evenly over "
        "the four error kinds) in the CFT prompt; its critiques are read step by step (cft_lib/eval/"
        'critique_skill.py). % with 95% CIs. *says right*: share of "right" verdicts; *first wrong step named*: '
        "over wrong responses; *recomputed values*: the critique's value for each step of the problem is the "
        "right one; *false flags*: right responses called wrong.",
        "",
        _markdown(["Cell", *measures], rows),
    ]


def _base_block(ablation: Ablation) -> list[str]:
    recipes = {c.tiny_recipe.fingerprint: c.tiny_recipe for c in ablation.cells if c.base_model == "tiny"}
    if not recipes:
        return []
    client = mlflow_client().MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    out = ["## Tiny base model", ""]
    for key, recipe in recipes.items():
        runs = client.search_runs(
            experiments,
            f"tags.`cft.stage` = 'base-model' and tags.`cft.fingerprint` = '{key}' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if not runs:
            out.append(f"Recipe `{key}`: no finished build run in this store (built outside `cft ablation`).")
            continue
        m, p = runs[0].data.metrics, runs[0].data.params
        arch = recipe.architecture
        facts = ", ".join(
            f"{op} {_fmt(100 * m[f'facts/accuracy_{op}'])}"
            for op in ("add", "subtract", "multiply", "divide")
            if f"facts/accuracy_{op}" in m
        )
        rows = [
            [
                "fact accuracy, whole table",
                f"{_fmt(100 * m.get('facts/accuracy', math.nan))} (n = {int(m.get('facts/n', 0))}; {facts})",
            ],
            ["true result outscores a slip", _fmt(100 * m.get("facts/true_beats_slip", math.nan))],
            ["step accuracy in problems (teacher-forced)", _wilson(m, "steps/accuracy", "steps/n")],
            ["held-out problems solved (micro-val)", _wilson(m, "base/micro-val/accuracy", "base/micro-val/n")],
            [
                "pre-training",
                f"{int(m.get('pretrain/tokens', 0)):,} tokens in {m.get('pretrain/seconds', 0):.0f} s "
                f"({p.get('train.mixed_precision_resolved', '?')} precision: 'no' = fp32)",
            ],
            [
                "recipe",
                f"{recipe.problems:,} problems, each fact practised {recipe.fact_exposures}x, critique share "
                f"{recipe.critique_share}, solution noise {recipe.solution_noise}; {arch.num_hidden_layers} "
                f"layers, width {arch.hidden_size}",
            ],
        ]
        out += [
            f"Recipe `{key}`, build run `{runs[0].info.run_id}`. %; CIs are Wilson 95% intervals.",
            "",
            _markdown(["what", "value"], rows),
            "",
        ]
    return out


def _wilson(metrics: dict[str, float], key: str, n_key: str) -> str:
    if key not in metrics or n_key not in metrics:
        return MISSING
    p, n = metrics[key], metrics[n_key]
    z = 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"{100 * p:.1f} [{100 * max(0, centre - half):.1f}, {100 * min(1, centre + half):.1f}] (n = {int(n)})"


def _training_block(cells: dict[str, CellRuns]) -> list[str]:
    rows = []
    for label, entry in cells.items():
        if entry.method == "base" or not entry.runs:
            continue
        seconds, best = entry.metric("train/seconds"), entry.metric("val/best_accuracy")
        rows.append(
            [
                label,
                entry.method,
                _int(entry.metric("train/examples")),
                _int(entry.metric("train/steps")),
                _int(entry.metric("train/target_tokens")),
                MISSING if seconds is None else f"{seconds:.0f}",
                _fmt(None if best is None else 100 * best),
            ]
        )
    if not rows:
        return []
    return [
        "## Training",
        "",
        "Every SFT and CFT cell trains on the same number of records for one epoch with the same batch size, so "
        "they get **equal examples and optimizer steps** (the paper's protocol: 50K records each); their target "
        "tokens differ (a critique is longer than a solution). Means over seeds.",
        "",
        _markdown(["cell", "method", "examples", "steps", "target tokens", "train seconds", "best val %"], rows),
        "",
    ]


def _tuning_block(cells: dict[str, CellRuns]) -> list[str]:
    """Tuned cells (ablation/sweep.py): the search, its budget and what won, so a reader sees that every
    tuned method had the same trials, chosen on validation accuracy."""
    rows = []
    for label, entry in cells.items():
        sweep = entry.cells[0].sweep
        if sweep is None or not entry.runs:
            continue
        space = ", ".join(f"{key} {kind} {list(bounds)}" for key, kind, bounds in sweep.params)
        best = []
        for run in entry.runs:
            values = ", ".join(
                f"{k.removeprefix('sweep.best.')}={float(v):.3g}" if _is_number(v) else f"{k}={v}"
                for k, v in sorted(run.data.params.items())
                if k.startswith("sweep.best.")
            )
            best.append(values or MISSING)
        pruned, val = entry.metric("sweep/pruned"), entry.metric("sweep/best_val_accuracy")
        rows.append(
            [
                label,
                space,
                f"{sweep.trials} trials",
                _int(pruned),
                "; ".join(best),
                _fmt(None if val is None else 100 * val),
            ]
        )
    if not rows:
        return []
    return [
        "## Tuning",
        "",
        "These cells were tuned: each ran an Optuna study (seeded TPE, median pruning on validation accuracy) "
        "with the same budget, every trial a full training judged on the **validation split only**; the cell's "
        "model is the best trial's, and its test numbers above come from that model alone.",
        "",
        _markdown(["cell", "search space", "budget", "pruned", "best", "best val %"], rows),
        "",
    ]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _int(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.0f}"


def render(ablation: Ablation, command: str, cells: dict[str, CellRuns] | None = None) -> str:
    cells = collect(ablation) if cells is None else cells
    spec = ablation.spec
    header, body, notes = _main_table(ablation, cells)
    seeds = ablation.seeds
    out = [
        f"<!-- Generated file: do not edit by hand. Regenerate with `{command}`. -->",
        f"_Generated by `{command}` from the MLflow store `{safe_uri(tracking_uri())}`._",
        "",
        f"# {spec.table}: {spec.title}",
        "",
        f"Accuracy (%). **ours** = this project, profile `{ablation.profile_name}`, "
        + (f"mean over seeds {seeds}" if len(seeds) > 1 else f"one seed ({seeds[0]})")
        + ", with a 95% CI in brackets (bootstrap over problems"
        + (" and seeds" if len(seeds) > 1 else "")
        + ", 2,000 resamples; cells compared on the same problems); "
        "**paper** = the numbers published in the CFT paper for the same cell. At the tiny profile the benchmarks "
        "are micro-world stand-ins, so compare directions and gaps, not absolute values.",
        "",
        _markdown(header, body),
        "",
        " ".join(notes),
        "",
    ]
    if spec.figure is not None:
        out += [
            f"![{spec.table}]({spec.figure.file})",
            "",
            f"{spec.table}: accuracy against training step ({spec.figure.points} evaluations during training, "
            f"{spec.figure.limit or 'all'} problems each, Wilson 95% bands), file `{spec.figure.file}`. These "
            "evaluations draw the figure only; each cell's kept checkpoint was chosen on the validation split.",
            "",
        ]
    out += _differences_block(ablation, cells)
    out += _self_critique_block(cells)
    out += _skill_block(ablation, cells) + [""]
    out += _base_block(ablation)
    out += _training_block(cells)
    out += _tuning_block(cells)
    out += ["## Benchmarks", ""]
    bound = {name: ours for c in ablation.cells for name, ours in c.benchmark_map.items()}
    counts = []
    for name in spec.benchmarks:
        ours_name = bound.get(name)
        n = next(
            (
                int(run.data.metrics[f"{ours_name}/n"])
                for entry in cells.values()
                for run in entry.runs
                if ours_name and f"{ours_name}/n" in run.data.metrics
            ),
            None,
        )
        counts.append([name, ours_name or MISSING, str(n) if n is not None else MISSING])
    out.append(_markdown(["paper benchmark", f"ours ({ablation.profile_name})", "problems"], counts))
    out += ["", "## Cells", ""]
    cell_rows = []
    for cell in ablation.cells:
        entry = cells[cell.label]
        run = next((r for r in entry.runs if r.data.tags.get("cft.fingerprint") == cell.fingerprint), None)
        choices = ", ".join(f"{k}={v}" for k, v in cell.choices.items())
        # the teacher the cell's data was built with (plain SFT and the base model use none)
        uses_teacher = cell.train is not None and methods.get(cell.train.method).job is not None
        teacher = cell.train.data.teacher if cell.train is not None and uses_teacher else None
        binding = MISSING
        if teacher is not None:
            binding = teacher.kind + (f" (error rate {teacher.error_rate})" if teacher.kind == "oracle" else "")
        cell_rows.append(
            [ablation.run_name(cell), choices, binding, cell.fingerprint, run.info.run_id if run else "not run"]
        )
    out.append(_markdown(["cell", "choices", "teacher binding", "fingerprint", "MLflow run"], cell_rows))
    out += [""] + _hypotheses_block(ablation, cells)
    out += _protocol_block(ablation)
    return "\n".join(out).rstrip() + "\n"


def _protocol_block(ablation: Ablation) -> list[str]:
    """The profile's deviations from the official CFT run (and choices the paper leaves open), in force
    for every number above; nothing for a profile without a protocol section (tiny)."""
    points = sorted(ablation.profile.protocol.items(), key=lambda kv: kv[1].item)
    if not points:
        return []
    rows = [
        [str(p.item), name, p.status, *(text.replace("|", "\\|") for text in (p.what, p.ours, p.why))]
        for name, p in points
        if p.status != "matched"
    ]
    matched = len(points) - len(rows)
    out = [
        "",
        "## Protocol: deviations from the official run",
        "",
        f"Profile `{ablation.profile_name}` matches {matched} of the {len(points)} points of the official CFT run "
        "that this project was audited on (docs/protocol.md); these are not matched:",
        "",
    ]
    return out + [_markdown(["#", "point", "status", "official run", "ours", "why"], rows)]


class NothingToReport(CftError):
    """The store holds no finished run of any cell of the spec: a report would be all dashes."""


def write_report(ablation: Ablation, root: Path | None = None, tracker: Tracker | None = None) -> Path:
    """Write the spec's report (and its figure, if it has one; logged on `tracker`'s run too).

    With no finished cell of the spec in the store (a fresh clone, another directory, another
    tracking URI) nothing is written and NothingToReport says where it looked, so a committed
    report is never overwritten with dashes.
    """
    command = f"cft report {ablation.name} --profile {ablation.profile_name}"
    path = report_path(ablation, root)
    cells = collect(ablation)
    if not any(entry.runs for entry in cells.values()):
        kept = f"{path} is left as it is" if path.exists() else f"{path} was not written"
        raise NothingToReport(
            f"{ablation.name}: none of its {len(ablation.cells)} cells has a finished run in the MLflow store "
            f"{safe_uri(tracking_uri())} (working directory {Path.cwd()}); {kept}. Run `cft ablation "
            f"{ablation.name} --profile {ablation.profile_name}` first, or set MLFLOW_TRACKING_URI to the store "
            "that has its runs."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure_spec = ablation.spec.figure
    if figure_spec is not None:
        from cft_lib.report.figures import draw_training_curves, save_figure

        panels = [
            (name, ablation.profile.benchmarks[name])
            for name in figure_spec.benchmarks
            if name in ablation.profile.benchmarks
        ]
        figure = draw_training_curves(f"{ablation.spec.title} — profile {ablation.profile_name}", panels, cells)
        if tracker is not None:
            tracker.log_figure(figure, f"report/{figure_spec.file}")
        save_figure(figure, path.parent / figure_spec.file)
    path.write_text(render(ablation, command, cells))
    return path
