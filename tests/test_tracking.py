"""What a run records: every resolved key (generation budgets included), no secrets, errors on failure."""

from __future__ import annotations

import json

import pytest

from cft_lib.ablation.specs import load_ablation
from cft_lib.tracking import Tracker, flatten, safe_uri, tracked_run


@pytest.fixture
def store(store_uri):
    from mlflow import MlflowClient

    return MlflowClient(store_uri)


def test_flatten_keeps_token_budgets_and_drops_secrets():
    config = {
        "eval": {"generation": {"max_new_tokens": 2048, "temperature": 0.0}},
        "teacher": {
            "max_tokens": 3200,
            "api_key": "sk-x",
            "openai_api_key": "sk-y",
            "token": "t",
            "hf_token": "h",
            "password": "p",
            "prompt_tokens": 5,
        },
    }
    flat = flatten(config)
    assert flat["eval.generation.max_new_tokens"] == 2048
    assert flat["teacher.max_tokens"] == 3200 and flat["teacher.prompt_tokens"] == 5
    assert not {
        k for k in flat if k.rsplit(".", 1)[-1] in ("api_key", "openai_api_key", "token", "hf_token", "password")
    }


def test_safe_uri_drops_credentials():
    assert safe_uri("postgresql://user:secret@db.example:5432/mlflow") == "postgresql://db.example:5432/mlflow"
    assert safe_uri("https://u:tok@host/path") == "https://host/path"
    assert safe_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert safe_uri("postgresql://cft:ab/cd+ef@db:5432/mlflow") == "postgresql://db:5432/mlflow"  # '/' in it
    assert safe_uri("sqlite:////data/a@b/mlflow.db") == "sqlite:////data/a@b/mlflow.db"  # a path, not a user


def test_every_resolved_key_of_a_cell_is_a_param_and_in_resolved_json(store, tmp_path):
    cell = load_ablation("teacher_model").cells[-1]
    config = cell.config_dict()
    with tracked_run("cft/test", cell.label, {"cft.stage": "cell"}) as tracker:
        tracker.log_config(config)
    run = store.get_run(tracker.run_id)
    expected = flatten(config)
    assert "eval.generation.max_new_tokens" in expected and "data.teacher.max_tokens" in expected
    missing = {k for k in expected if k not in run.data.params}
    assert not missing, missing
    assert all(run.data.params[k] == str(v) for k, v in expected.items())
    path = store.download_artifacts(tracker.run_id, "config/resolved.json", str(tmp_path))
    assert json.loads(open(path).read()) == config
    assert run.info.status == "FINISHED"


def test_a_failed_run_records_its_error(store, tmp_path):
    def fail():
        raise ValueError("the innermost reason")

    with pytest.raises(ValueError), tracked_run("cft/test", "boom", {"cft.stage": "cell"}) as tracker:
        fail()
    run = store.get_run(tracker.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["cft.error"] == "ValueError: the innermost reason"
    text = open(store.download_artifacts(tracker.run_id, "error/traceback.txt", str(tmp_path))).read()
    assert "in fail" in text and "the innermost reason" in text  # the failing frame, not only the outer ones


def test_step_metrics_are_flushed_when_the_run_ends(store):
    with tracked_run("cft/test", "curve", {}) as tracker:
        for step in range(1, 6):
            tracker.log_metrics({"train/loss": 1.0 / step}, step=step)
    history = store.get_metric_history(tracker.run_id, "train/loss")
    assert sorted(m.step for m in history) == [1, 2, 3, 4, 5]


def test_an_existing_run_is_logged_into_and_left_open(store):
    experiment = store.create_experiment("Default-ish")
    run_id = store.create_run(experiment).info.run_id
    with tracked_run("cft/elsewhere", "ignored", {"cft.stage": "train"}, run_id=run_id) as tracker:
        assert isinstance(tracker, Tracker) and tracker.run_id == run_id
        tracker.log_params({"x": 1})
    run = store.get_run(run_id)
    assert run.info.status == "RUNNING" and run.data.params["x"] == "1"  # its owner (`mlflow run`) ends it
    assert store.get_experiment_by_name("cft/elsewhere") is None
