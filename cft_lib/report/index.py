"""reports/<profile>/README.md: every table of the paper, its report, its status and its verdicts."""

from __future__ import annotations

from pathlib import Path

from cft_lib.ablation.specs import Ablation
from cft_lib.report.tables import collect, hypothesis_verdicts, report_path


def table_status(ablation: Ablation, cells) -> str:
    """complete: every cell has a finished run; partial: some; paper-only: none (the paper's numbers only)."""
    measured = sum(1 for entry in cells.values() if entry.runs)
    if measured == 0:
        return "paper-only"
    return "complete" if all(len(entry.runs) == len(entry.cells) for entry in cells.values()) else "partial"


def write_index(ablations: list[Ablation], root: Path | None = None) -> Path:
    profile = ablations[0].profile_name
    path = report_path(ablations[0], root).parent / "README.md"
    rows = []
    for a in ablations:
        cells = collect(a)
        verdicts = (
            "; ".join(
                f"{v['verdict']}" + (f" ({v['estimate'].value:+.1f})" if v["estimate"] else "")
                for v in hypothesis_verdicts(a, cells)
            )
            or "—"
        )
        figure = f" · [{a.spec.figure.file}]({a.spec.figure.file})" if a.spec.figure else ""
        done = sum(len(e.runs) for e in cells.values())
        total = sum(len(e.cells) for e in cells.values())
        rows.append(
            f"| {a.spec.table} | [{a.name}]({a.name}.md){figure} | {a.spec.title} | "
            f"{table_status(a, cells)} ({done}/{total} cells) | {verdicts} |"
        )
    lines = [
        f"<!-- Generated file: regenerate with `cft report --all --profile {profile}`. -->",
        f"# The paper's tables, profile `{profile}`",
        "",
        "Every table and figure of the CFT paper as a spec (`ablations/*.yaml`), regenerated from the MLflow "
        "store. Status: **complete** (every cell measured), **partial** (some), **paper-only** (no cell "
        "measured: the paper's numbers only). Verdicts test each spec's hypotheses (the paper's claims) with a "
        "paired bootstrap: effect in points, supported / contradicted / inconclusive at 95%.",
        "",
        "| paper | report | title | status | hypothesis verdicts |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path
