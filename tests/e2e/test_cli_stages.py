"""`cft train` then `cft evaluate` as a user runs them, checked through an independent MLflow client."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def _cft(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    return subprocess.run(
        [sys.executable, "-m", "cft_lib.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_train_then_evaluate_land_in_mlflow(small_base_model, session_home):
    done = _cft(
        "train",
        "--method",
        "cft",
        "--base-model",
        str(small_base_model),
        "--size",
        "96",
        "--lr",
        "1e-4",
        "--global-batch-size",
        "16",
        "--num-validations",
        "2",
        "--val-limit",
        "20",
        cwd=session_home,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    assert summary["steps"] == 6 and os.path.isdir(summary["model_dir"])

    done = _cft("evaluate", "--model", summary["model_dir"], "--limit", "10", cwd=session_home)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "micro-hard" in done.stdout and "average" in done.stdout

    from mlflow.tracking import MlflowClient

    client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    train_run = client.get_run(summary["run_id"])
    assert train_run.data.params["method"] == "cft"
    assert train_run.data.params["train.learning_rate"] == "0.0001"
    assert train_run.data.tags["cft.stage"] == "train"
    assert len(client.get_metric_history(train_run.info.run_id, "train/loss")) == 6
    assert len(client.get_metric_history(train_run.info.run_id, "val/accuracy")) == 2
    assert train_run.inputs.dataset_inputs, "training data should be logged with mlflow.log_input"

    experiment = client.get_experiment_by_name("cft/evaluate")
    (eval_run,) = client.search_runs([experiment.experiment_id])
    for name in ("micro-easy", "micro-medium", "micro-hard"):
        assert 0.0 <= eval_run.data.metrics[f"{name}/accuracy"] <= 1.0
        assert eval_run.data.metrics[f"{name}/n"] == 10
    artifacts = {a.path for a in client.list_artifacts(eval_run.info.run_id, "eval")}
    assert "eval/records.jsonl" in artifacts


def test_unknown_benchmark_fails_cleanly(small_base_model, session_home):
    done = _cft("evaluate", "--model", str(small_base_model), "--benchmarks", "micro-hrad", cwd=session_home)
    assert done.returncode == 2
    assert "micro-hard" in done.stderr and "Traceback" not in done.stderr
