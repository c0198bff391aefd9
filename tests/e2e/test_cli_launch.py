"""`cft train --num-processes N` and `--accelerate-config`: training under `accelerate launch`.

Two CPU processes (gloo) must log the loss curve one process logs at the same global batch; the
shipped ZeRO-3 config must load and train on CPU (DeepSpeed's CPU accelerator). Each run gets its own
CFT_HOME, since the launch is not part of a training's fingerprint (the second would be reused).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _train(model: Path, home: Path, *extra: str) -> dict:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", CFT_HOME=str(home / ".cft"))
    command = [sys.executable, "-m", "cft_lib.cli", "-q", "train", "--method", "cft", "--base-model", str(model)]
    command += ["--size", "48", "--lr", "1e-3", "--global-batch-size", "16", "--micro-batch-size", "4"]
    command += ["--mixed-precision", "no", *extra]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout[done.stdout.index("{") :])


def _losses(run_id: str) -> list[tuple[int, float]]:
    history = mlflow.MlflowClient().get_metric_history(run_id, "train/loss")
    return sorted((m.step, m.value) for m in history)


VALIDATION = ("--num-validations", "2", "--val-limit", "8")


@pytest.fixture(scope="module")
def one_process(small_base_model, session_home, tmp_path_factory):
    """The reference: one process, validating inside training."""
    return _train(small_base_model, tmp_path_factory.mktemp("one"), *VALIDATION)


def test_two_processes_log_the_loss_curve_of_one(small_base_model, one_process, tmp_path):
    one = one_process
    two = _train(small_base_model, tmp_path, *VALIDATION, "--num-processes", "2")
    assert two["processes"] == 2 and one["processes"] == 1
    for key in ("examples", "target_tokens", "steps"):
        assert two[key] == one[key], key
    curve_one, curve_two = _losses(one["run_id"]), _losses(two["run_id"])
    assert [s for s, _ in curve_two] == [s for s, _ in curve_one] == list(range(1, one["steps"] + 1))
    assert max(abs(a - b) for (_, a), (_, b) in zip(curve_one, curve_two, strict=True)) < 1e-4
    assert two["best_val_accuracy"] == pytest.approx(one["best_val_accuracy"])
    assert not (Path(two["model_dir"]).parent / "launch").exists()  # the job file is gone once read back
    run = mlflow.MlflowClient().get_run(two["run_id"])
    assert run.data.params["launch.num_processes"] == "2" and run.data.metrics["train/processes"] == 2


@pytest.mark.skipif(shutil.which("c++") is None, reason="DeepSpeed builds its CPU communication op with c++")
def test_the_shipped_zero3_config_trains_on_cpu(small_base_model, session_home, tmp_path):
    pytest.importorskip("deepspeed")
    summary = _train(
        small_base_model,
        tmp_path,
        "--size",
        "16",
        "--num-validations",
        "0",
        "--accelerate-config",
        "launch/zero3.yaml",
        "--num-processes",
        "1",
    )
    assert summary["steps"] == 1 and summary["processes"] == 1
    assert (Path(summary["model_dir"]) / "model.safetensors").exists()  # the shards gathered into one model
    run = mlflow.MlflowClient().get_run(summary["run_id"])
    assert run.data.params["launch.config_file"] == "launch/zero3.yaml"
    assert len(_losses(summary["run_id"])) == 1


def test_validating_saved_models_after_training_picks_what_validating_during_training_picks(
    small_base_model, one_process, tmp_path
):
    """validation.via backend (the official run's way: save, then validate each saved model through the
    evaluation backend) must score each point as validation inside training does, and keep the same model."""
    during = one_process
    after = _train(small_base_model, tmp_path, *VALIDATION, "--set", "validation.via=backend")
    assert after["validation"] == during["validation"] and len(after["validation"]) == 2
    assert after["best_step"] == during["best_step"]
    assert not (Path(after["model_dir"]).parent / "validation-snapshots").exists()
    history = mlflow.MlflowClient().get_metric_history(after["run_id"], "val/accuracy")
    assert sorted((m.step, m.value) for m in history) == [tuple(v) for v in after["validation"]]
