"""`cft ablation teacher_model` end to end at micro sizes: cells, MLflow runs, the table, reruns, a kill."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.ablations import cli_env

pytestmark = pytest.mark.slow

PROFILE = Path(__file__).with_name("micro_profile.yaml")
CELLS = ("SFT-verified", "GPT-4o-mini", "GPT-4o-1120")
MEASURED = re.compile(r"\d+\.\d \[\d+\.\d, \d+\.\d\]")  # ours: the value and its 95% CI


def _ablation(workdir: Path, extra_env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cft_lib.cli", "ablation", "teacher_model", "--profile", str(PROFILE)],
        cwd=workdir,
        env=cli_env(workdir) | (extra_env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def _client(workdir: Path):
    from mlflow.tracking import MlflowClient

    return MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")


def _cell_runs(workdir: Path):
    client = _client(workdir)
    experiment = client.get_experiment_by_name("cft/teacher_model")
    if experiment is None:
        return []
    return client.search_runs([experiment.experiment_id], "tags.`cft.stage` = 'cell'")


def _table_rows(report: str) -> dict[str, list[str]]:
    rows = {}
    for line in report.splitlines():
        if line.startswith("| ") and not line.startswith("| Task") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_ablation_runs_reports_and_reruns_without_training(tmp_path):
    first = _ablation(tmp_path)
    out, _ = first.communicate(timeout=900)
    assert first.returncode == 0, out[-4000:]
    report = (tmp_path / "reports" / "micro_profile" / "teacher_model.md").read_text()
    assert report.startswith("<!-- Generated file")
    assert "cft report teacher_model --profile micro_profile" in report
    rows = _table_rows(report)
    for task in ("GSM8K → micro-easy", "MATH → micro-medium", "OlympiadBench → micro-hard", "**AVG**"):
        ours = rows[task][0::2]
        assert all(MEASURED.fullmatch(v) for v in ours), (task, ours)  # a measured number in every cell
    assert rows["MATH → micro-medium"][1::2] == ["62.0", "73.9", "80.2"]  # the paper's, beside ours
    assert rows["Minerva-Math*"][0::2] == ["—", "—", "—"]
    for block in ("## Paired differences", "## Critique skill", "## Tiny base model", "## Training"):
        assert block in report, block
    assert "GPT-4o-1120 − SFT-verified" in rows  # a paired Δ for every two cells, with its CI
    assert MEASURED.match(rows["GPT-4o-1120 − SFT-verified"][-1].replace("-", ""))

    client = _client(tmp_path)
    experiment = client.get_experiment_by_name("cft/teacher_model")
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = mlflow.search_runs([experiment.experiment_id], output_format="list")
    parents = [r for r in runs if r.data.tags.get("cft.stage") == "ablation"]
    children = [r for r in runs if r.data.tags.get("cft.stage") == "cell"]
    assert len(parents) == 1 and len(children) == 3
    assert {r.data.tags["cft.cell"] for r in children} == set(CELLS)
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parents[0].info.run_id
        assert child.data.tags["cft.spec"] == "teacher_model" and child.data.tags["cft.profile"] == "micro_profile"
        assert child.data.params["spec"] == "teacher_model" and child.data.params["table"] == "Table 8"
        assert len(child.data.tags["cft.fingerprint"]) == 16
        for name in ("micro-easy", "micro-medium", "micro-hard"):
            assert f"{name}/accuracy" in child.data.metrics
        assert "train/loss" in child.data.metrics
    report_artifacts = [a.path for a in client.list_artifacts(parents[0].info.run_id, "report")]
    assert report_artifacts == ["report/teacher_model.md"]

    second = _ablation(tmp_path)
    out2, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out2[-4000:]
    assert out2.count("reused") == 3 and "train:" not in out2
    assert len(_cell_runs(tmp_path)) == 3  # nothing new was run
    again = (tmp_path / "reports" / "micro_profile" / "teacher_model.md").read_text()
    assert _table_rows(again) == rows


def test_killed_ablation_resumes_without_retraining_finished_cells(tmp_path):
    """SIGKILL while the second cell trains; the rerun keeps the first cell and resumes the second's training."""
    every_step = {"CFT_CHECKPOINT_INTERVAL_S": "0"}
    first = _ablation(tmp_path, every_step, start_new_session=True)
    deadline = time.time() + 600
    killed = False
    while time.time() < deadline and first.poll() is None:
        runs = {r.data.tags["cft.cell"]: r for r in _cell_runs(tmp_path)}
        first_done = runs.get("SFT-verified") and runs["SFT-verified"].info.status == "FINISHED"
        # finished trainings remove their checkpoints, so any left now belong to the second cell
        if first_done and list((tmp_path / ".cft" / "models").glob("*/checkpoints/step-*/progress.json")):
            os.killpg(first.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    first.wait(timeout=60)
    assert killed, "never caught the second cell training"
    finished_before = {
        r.data.tags["cft.cell"]: r.info.run_id for r in _cell_runs(tmp_path) if r.info.status == "FINISHED"
    }
    assert set(finished_before) == {"SFT-verified"}

    rerun = _ablation(tmp_path, every_step)
    out, _ = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, out[-4000:]
    runs = _cell_runs(tmp_path)
    finished = [r for r in runs if r.info.status == "FINISHED"]
    fingerprints = [r.data.tags["cft.fingerprint"] for r in finished]
    assert len(finished) == 3 and len(set(fingerprints)) == 3  # exactly one FINISHED run per cell
    assert {r.data.tags["cft.cell"]: r.info.run_id for r in finished}["SFT-verified"] == finished_before["SFT-verified"]
    assert [r.info.status for r in runs if r.info.status != "FINISHED"] == ["KILLED"]
    resumed = next(r for r in finished if r.data.tags["cft.cell"] == "GPT-4o-mini")
    assert int(resumed.data.tags["cft.resumed_from_step"]) >= 1  # continued, not restarted
    steps = [m.step for m in _client(tmp_path).get_metric_history(resumed.info.run_id, "train/loss")]
    assert sorted(steps) == list(range(1, 7))  # the whole loss curve, in the run that finished
    rows = _table_rows((tmp_path / "reports" / "micro_profile" / "teacher_model.md").read_text())
    assert all(MEASURED.fullmatch(v) for v in rows["**AVG**"][0::2])
