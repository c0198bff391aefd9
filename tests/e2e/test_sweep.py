"""A micro sweep killed after its second trial, rerun: the finished trials are kept (not trained
again) and the study completes to its budget; the cell's run reports the best trial's model."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.ablations import cli_env, seed_base_model, stage_runs

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
PROFILE, SPEC = HERE / "micro_profile.yaml", HERE / "micro_sweep.yaml"  # CFT tuned over its lr, 3 trials


def _ablation(workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cft_lib.cli", "-q", "ablation", str(SPEC), "--profile", str(PROFILE)],
        cwd=workdir,
        env=cli_env(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _trials(workdir: Path) -> list[tuple[int, str, float | None]]:
    """(number, state, value) of every trial in the study storage, read with plain SQL."""
    path = workdir / ".cft" / "optuna.db"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as db:
        try:
            rows = db.execute(
                "select t.number, t.state, v.value from trials t left join trial_values v on v.trial_id = t.trial_id"
                " order by t.number"
            ).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []
    return [(n, state, value) for n, state, value in rows]


def test_a_killed_sweep_keeps_its_finished_trials_and_completes(tmp_path, small_base_model):
    seed_base_model(small_base_model, tmp_path)  # the micro profile's base, built once per test session
    first = _ablation(tmp_path)
    deadline = time.monotonic() + 600
    while sum(state == "COMPLETE" for _, state, _ in _trials(tmp_path)) < 2:
        assert first.poll() is None, first.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "two trials did not finish in 10 minutes"
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # during the third trial (or just before it)
    first.wait()
    kept = [t for t in _trials(tmp_path) if t[1] == "COMPLETE"]
    assert len(kept) == 2

    second = _ablation(tmp_path)
    out, _ = second.communicate(timeout=900)
    assert second.returncode == 0, out[-4000:]
    trials = _trials(tmp_path)
    complete = [t for t in trials if t[1] == "COMPLETE"]
    assert complete[:2] == kept  # the same trials, values untouched
    finished = [t for t in trials if t[1] in ("COMPLETE", "PRUNED")]
    assert len(finished) == 3  # the budget
    assert {state for _, state, _ in trials} <= {"COMPLETE", "PRUNED", "FAIL"}  # an interrupted trial: FAIL

    trial_runs = stage_runs(tmp_path, "trial")
    finished_runs = [r for r in trial_runs if r.info.status == "FINISHED"]
    assert sorted(r.data.tags["cft.trial"] for r in finished_runs) == [str(n) for n, _, _ in finished]
    cells = stage_runs(tmp_path, "cell")
    done = [r for r in cells if r.info.status == "FINISHED"]
    assert len(done) == 1 and done[0].data.metrics["sweep/trials"] == 3
    killed = [r for r in cells + trial_runs if r.info.status != "FINISHED"]  # what the kill interrupted
    assert killed and all(r.info.status == "KILLED" and r.data.tags["cft.superseded"] == "true" for r in killed)
    parents = {r.info.run_id for r in cells}
    assert all(r.data.tags["mlflow.parentRunId"] in parents for r in trial_runs)  # nested under a cell run
    best = int(done[0].data.params["sweep.best_trial"])
    best_run = next(r for r in finished_runs if r.data.tags["cft.trial"] == str(best))
    assert done[0].data.tags["cft.model_dir"] == best_run.data.tags["cft.model_dir"]  # the cell's model: the best's
    assert done[0].data.params["train.learning_rate"] == best_run.data.params["trial.train.learning_rate"]
    report = (tmp_path / "reports" / "micro_profile" / "micro_sweep.md").read_text()
    assert "## Tuning" in report and "3 trials" in report
