"""Evaluation through the in-process backend on a real (small) tiny model."""

import pytest

from cft_lib.data.sources import SPLIT_SIZE
from cft_lib.errors import ConfigError
from cft_lib.eval.benchmarks import benchmarks
from cft_lib.eval.evaluate import EvalConfig, evaluate
from cft_lib.llm.base import GenerationConfig
from cft_lib.llm.hf import HFBackend


def test_records_and_scores_are_consistent(small_base_model):
    backend = HFBackend.from_pretrained(small_base_model, progress=False)
    config = EvalConfig(
        benchmarks=("micro-easy", "micro-hard"), limit=8, generation=GenerationConfig(max_new_tokens=40, batch_size=5)
    )
    result = evaluate(backend, config)
    assert [s.benchmark for s in result.scores] == ["micro-easy", "micro-hard"]
    assert [s.n for s in result.scores] == [8, 8]
    assert len(result.records) == 16
    for score in result.scores:
        assert score.correct == sum(r["correct"] for r in result.records if r["benchmark"] == score.benchmark)
    assert set(result.records[0]) == {"benchmark", "id", "question", "output", "extracted", "gold", "correct"}
    metrics = result.metrics()
    mean = (metrics["micro-easy/accuracy"] + metrics["micro-hard/accuracy"]) / 2
    assert metrics["avg/accuracy"] == pytest.approx(mean)


def test_batching_does_not_change_greedy_outputs(small_base_model):
    backend = HFBackend.from_pretrained(small_base_model, progress=False)
    conversations = [[{"role": "user", "content": item.question}] for item in benchmarks.get("micro-val").load(6)]
    one = backend.generate(conversations, GenerationConfig(max_new_tokens=24, batch_size=1))
    many = backend.generate(conversations, GenerationConfig(max_new_tokens=24, batch_size=6))
    assert one == many


def test_unknown_benchmark_is_a_config_error():
    with pytest.raises(ConfigError, match="micro-medium"):
        EvalConfig(benchmarks=("micro-mediun",)).check()


def test_benchmark_splits_are_stable():
    first = benchmarks.get("micro-hard").load(5)
    assert [i.question for i in first] == [i.question for i in benchmarks.get("micro-hard").load(5)]
    assert len(benchmarks.get("micro-hard").load(None)) == SPLIT_SIZE
