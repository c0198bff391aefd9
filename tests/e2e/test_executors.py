"""Cells on a local Ray cluster, and two `cft ablation` processes at once on overlapping specs:
every fingerprint is trained and evaluated once, both reports are complete, no live run is KILLED."""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
PROFILE = HERE / "micro_profile.yaml"
FOUR = HERE / "micro_four.yaml"  # Base, SFT, CFT, CFT-mini
MEASURED = re.compile(r"\d+\.\d \[\d+\.\d, \d+\.\d\]")


def _env(workdir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        OMP_WAIT_POLICY="PASSIVE",
        CFT_HOME=str(workdir / ".cft"),
        MLFLOW_TRACKING_URI=f"sqlite:///{workdir / 'mlflow.db'}",
        RAY_AUTH_MODE="disabled",
    )


def _ablation(workdir: Path, spec: Path, *extra: str, profile: Path = PROFILE) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cft_lib.cli", "-q", "ablation", str(spec), "--profile", str(profile), *extra],
        cwd=workdir,
        env=_env(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _runs(workdir: Path, stage: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(experiments, f"tags.`cft.stage` = '{stage}'")


def _measured_rows(report: Path) -> dict[str, list[str]]:
    """The main table's rows (benchmarks and AVG): the measured values of each, one per cell."""
    rows = {}
    for line in report.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and ("→" in cells[0] or cells[0] == "**AVG**") and cells[0] not in rows:
            rows[cells[0]] = [c for c in cells[1:] if MEASURED.fullmatch(c)]
    return rows


def _trained_once(cell_runs) -> collections.Counter:
    """Trainings per model directory: a cell that trained (not reused a model) counts once."""
    return collections.Counter(
        r.data.tags["cft.model_dir"]
        for r in cell_runs
        if "cft.train_reused" not in r.data.tags and r.data.tags.get("cft.model_dir")
    )


def test_cells_run_as_ray_tasks_once_each(tmp_path):
    # one cell tuned (a sweep's trials resolve the profile again, in the worker), the files named relative
    # to this directory (Ray workers start elsewhere)
    sweep = "sweep: {params: {train.learning_rate: {log_uniform: [1.0e-5, 1.0e-3]}}, trials: 2, cells: [CFT-mini]}\n"
    (tmp_path / FOUR.name).write_text(FOUR.read_text() + sweep)
    shutil.copy(PROFILE, tmp_path)
    process = _ablation(tmp_path, Path(FOUR.name), "--executor", "ray", profile=Path(PROFILE.name))
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, out[-4000:]
    assert "queued" in out and "_cell_task" in out  # the cells ran in Ray workers, not here
    cells = _runs(tmp_path, "cell")
    assert {r.info.status for r in cells} == {"FINISHED"}
    by_fingerprint = collections.Counter(r.data.tags["cft.fingerprint"] for r in cells)
    assert len(by_fingerprint) == 4 and set(by_fingerprint.values()) == {1}
    assert set(_trained_once(cells).values()) == {1}
    tuned = [r for r in cells if r.data.tags.get("cft.tuned") == "true"]
    assert len(tuned) == 1 and tuned[0].data.metrics["sweep/trials"] == 2
    report = tmp_path / "reports" / "micro_profile" / "micro_four.md"
    rows = _measured_rows(report)
    assert len(rows) == 3 and all(len(r) == 4 for r in rows.values()), rows  # every cell's numbers


def test_two_processes_on_overlapping_specs_do_each_fingerprint_once(tmp_path):
    overlap = tmp_path / "micro_overlap.yaml"  # CFT and CFT-mini are micro_four's cells too
    overlap.write_text(
        FOUR.read_text()
        .replace("  - {label: Base, method: base}\n", "")
        .replace("{label: SFT, method: sft}", "{label: SFT-verified, method: sft-verified}")
    )
    first, second = _ablation(tmp_path, FOUR), _ablation(tmp_path, overlap)
    outs = [p.communicate(timeout=900)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs[0][-3000:] + outs[1][-3000:]
    cells = _runs(tmp_path, "cell")
    assert {r.info.status for r in cells} == {"FINISHED"}, [(r.info.run_name, r.info.status) for r in cells]
    by_fingerprint = collections.Counter(r.data.tags["cft.fingerprint"] for r in cells)
    assert len(by_fingerprint) == 5 and set(by_fingerprint.values()) == {1}  # 4 + 3 cells, 2 shared
    assert set(_trained_once(cells).values()) == {1}
    reused = _runs(tmp_path, "reused-cell")
    assert len(reused) == 2 and {r.info.status for r in reused} == {"FINISHED"}
    for spec in ("micro_four", "micro_overlap"):
        rows = _measured_rows(tmp_path / "reports" / "micro_profile" / f"{spec}.md")
        width = 4 if spec == "micro_four" else 3
        assert len(rows) == 3 and all(len(r) == width for r in rows.values()), rows
    killed = [
        r
        for stage in ("ablation", "cell", "reused-cell", "base-model")
        for r in _runs(tmp_path, stage)
        if r.info.status != "FINISHED"
    ]
    assert killed == []
