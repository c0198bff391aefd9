"""`cft evaluate --backend openai` against a real `transformers serve` of the tiny model on 127.0.0.1."""

import json
import os
import subprocess
import sys

import pytest

from cft_lib.eval.evaluate import EvalConfig, evaluate
from cft_lib.llm.base import GenerationConfig
from cft_lib.llm.hf import HFBackend
from cft_lib.llm.openai_backend import OpenAIBackend

pytestmark = pytest.mark.integration


def test_served_model_extracts_the_same_answers_as_in_process(server, small_base_model):
    config = EvalConfig(
        benchmarks=("micro-easy", "micro-hard"), limit=20, generation=GenerationConfig(max_new_tokens=48, batch_size=20)
    )
    local = evaluate(HFBackend.from_pretrained(small_base_model, progress=False), config)
    remote = evaluate(OpenAIBackend(server, str(small_base_model), concurrency=4, progress=False), config)
    same = sum(a["extracted"] == b["extracted"] for a, b in zip(local.records, remote.records, strict=True))
    assert same / len(local.records) >= 0.95, (same, len(local.records))


def test_cli_evaluate_through_the_server_logs_backend_without_the_key(server, small_base_model, session_home):
    env = dict(os.environ, OPENAI_API_KEY="sk-test-SECRET-123456")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cft_lib.cli",
            "evaluate",
            "--model",
            str(small_base_model),
            "--backend",
            "openai",
            "--base-url",
            server,
            "--limit",
            "5",
            "--max-new-tokens",
            "32",
            "--experiment",
            "cft/evaluate-openai",
        ],
        cwd=session_home,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    from mlflow.tracking import MlflowClient

    client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    (run,) = client.search_runs([client.get_experiment_by_name("cft/evaluate-openai").experiment_id])
    assert run.data.params["backend.name"] == "openai" and run.data.params["backend.base_url"] == server
    assert run.data.params["served.served_model"] == str(small_base_model)  # what the client actually asked for
    assert run.data.metrics["micro-easy/n"] == 5
    dumped = json.dumps([run.data.params, run.data.tags]) + done.stdout + done.stderr
    assert "SECRET" not in dumped


def test_two_stage_self_critique_through_the_server(server, small_base_model):
    """Table 9's two-stage mode needs nothing but chat calls: it runs unchanged on a served model."""
    from cft_lib.eval.inference import InferenceConfig

    config = EvalConfig(
        benchmarks=("micro-easy",),
        limit=6,
        inference=InferenceConfig("two-stage", max_attempts=2),
        generation=GenerationConfig(max_new_tokens=32, temperature=0.6, seed=1, batch_size=6),
    )
    result = evaluate(OpenAIBackend(server, str(small_base_model), concurrency=4, progress=False), config)
    for record in result.records:
        assert 1 <= record["attempts"] <= 2
        assert len(record["attempt_correct"]) == len(record["verdicts"]) == record["attempts"]
        assert record["output"] == record["attempt_outputs"][-1]
    assert 1.0 <= result.metrics()["selfcritique/mean_attempts"] <= 2.0
