"""Cells on a local Ray cluster, and two `cft ablation` processes at once on overlapping specs:
every fingerprint is trained and evaluated once, both reports are complete, no live run is KILLED."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.ablations import cli_env, seed_base_model, stage_runs

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
PROFILE = HERE / "micro_profile.yaml"
FOUR = HERE / "micro_four.yaml"  # Base, SFT, CFT, CFT-mini
MEASURED = re.compile(r"\d+\.\d \[\d+\.\d, \d+\.\d\]")


def _ablation(
    workdir: Path, spec: Path, *extra: str, profile: Path = PROFILE, store: Path | None = None
) -> subprocess.Popen:
    """`cft ablation` in `workdir` (its reports/ go there), tracking into `store` (default: workdir)."""
    return subprocess.Popen(
        [sys.executable, "-m", "cft_lib.cli", "-q", "ablation", str(spec), "--profile", str(profile), *extra],
        cwd=workdir,
        env=cli_env(store or workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


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


def test_cells_run_as_ray_tasks_once_each(tmp_path, small_base_model):
    seed_base_model(small_base_model, tmp_path)  # the micro profile's base, built once per test session
    # one cell tuned (a sweep's trials resolve the profile again, in the worker), the files named relative
    # to this directory (Ray workers start elsewhere)
    sweep = "sweep: {params: {train.learning_rate: {log_uniform: [1.0e-5, 1.0e-3]}}, trials: 2, cells: [CFT-mini]}\n"
    (tmp_path / FOUR.name).write_text(FOUR.read_text() + sweep)
    shutil.copy(PROFILE, tmp_path)
    process = _ablation(tmp_path, Path(FOUR.name), "--executor", "ray", profile=Path(PROFILE.name))
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, out[-4000:]
    assert "queued" in out and "_cell_task" in out  # the cells ran in Ray workers, not here
    cells = stage_runs(tmp_path, "cell")
    assert {r.info.status for r in cells} == {"FINISHED"}
    by_fingerprint = collections.Counter(r.data.tags["cft.fingerprint"] for r in cells)
    assert len(by_fingerprint) == 4 and set(by_fingerprint.values()) == {1}
    assert set(_trained_once(cells).values()) == {1}
    tuned = [r for r in cells if r.data.tags.get("cft.tuned") == "true"]
    assert len(tuned) == 1 and tuned[0].data.metrics["sweep/trials"] == 2
    report = tmp_path / "reports" / "micro_profile" / "micro_four.md"
    rows = _measured_rows(report)
    assert len(rows) == 3 and all(len(r) == 4 for r in rows.values()), rows  # every cell's numbers


def test_two_processes_on_overlapping_specs_do_each_fingerprint_once(tmp_path, small_base_model):
    """Both specs are named micro_four (one experiment, one parent-run name), from two directories that
    share CFT_HOME and the store: the second process's start supersedes RUNNING runs of that spec unless
    their owner is alive, so a live first process's runs must survive it."""
    seed_base_model(small_base_model, tmp_path)  # (the lock the two take is the data's and trainings')
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    for folder in (first_dir, second_dir):
        folder.mkdir()
    overlap = second_dir / FOUR.name  # SFT-verified, CFT and CFT-mini: the last two are the first spec's too
    overlap.write_text(
        FOUR.read_text()
        .replace("  - {label: Base, method: base}\n", "")
        .replace("{label: SFT, method: sft}", "{label: SFT-verified, method: sft-verified}")
    )
    first = _ablation(first_dir, FOUR, store=tmp_path)
    deadline = time.monotonic() + 300
    while not any(r.info.status == "RUNNING" for r in stage_runs(tmp_path, "ablation")):  # the first has begun
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0][-3000:]
        time.sleep(0.2)
    second = _ablation(second_dir, Path(FOUR.name), store=tmp_path)
    outs = [p.communicate(timeout=900)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs[0][-3000:] + outs[1][-3000:]
    runs = {stage: stage_runs(tmp_path, stage) for stage in ("ablation", "cell", "reused-cell", "base-model")}
    everything = [r for group in runs.values() for r in group]
    assert [r for r in everything if r.info.status != "FINISHED"] == []  # none KILLED ...
    assert [r for r in everything if "cft.superseded" in r.data.tags] == []  # ... not even for a while
    assert len(runs["ablation"]) == 2
    cells = runs["cell"]
    by_fingerprint = collections.Counter(r.data.tags["cft.fingerprint"] for r in cells)
    assert len(by_fingerprint) == 5 and set(by_fingerprint.values()) == {1}  # 4 + 3 cells, 2 shared: 5 runs
    assert set(_trained_once(cells).values()) == {1}  # each model trained once
    for folder, width in ((first_dir, 4), (second_dir, 3)):
        rows = _measured_rows(folder / "reports" / "micro_profile" / "micro_four.md")
        assert len(rows) == 3 and all(len(r) == width for r in rows.values()), rows
