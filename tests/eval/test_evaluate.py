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


class RecordingBackend:
    """Answers by benchmark layout and keeps every call's (conversations, config)."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[list, GenerationConfig]] = []

    def generate(self, conversations, config: GenerationConfig) -> list[str]:
        self.calls.append((conversations, config))
        outputs = []
        for messages in conversations:
            text = messages[-1]["content"]
            if "Please critique" in text:
                outputs.append("Critique Conclusion: Correct")
            elif "Answer Choices:" in text:
                outputs.append("so the answer is (B)")
            elif "Options:" in text:
                outputs.append("no letter here")  # MMLU-Pro: scored with the official guess
            else:
                outputs.append("\\boxed{True}")
        return outputs

    def describe(self) -> dict[str, str]:
        return {"backend": self.name}


@pytest.fixture
def paper_files(tmp_path, monkeypatch):
    """Hand-written theoremqa, GPQA and MMLU-Pro rows as local benchmark files (no hub here)."""
    import json

    rows = {
        "theoremqa": [{"problem": "Is 7 prime?", "answer": "True"}, {"problem": "2 + 2?", "answer": "4"}],
        "gpqa_diamond": [
            {
                "Question": "Lightest gas?",
                "Correct Answer": "H",
                **{f"Incorrect Answer {i}": f"X{i}" for i in (1, 2, 3)},
            }
        ],
        "mmlu_pro": [{"question": "2 + 2?", "options": ["3", "4", "5", "6"], "answer": "B", "answer_index": 1}],
    }
    for name, items in rows.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items))
    monkeypatch.setenv("CFT_BENCHMARK_DIR", str(tmp_path))


def test_benchmark_stops_prompts_and_extraction_per_benchmark(paper_files):
    from cft_lib.eval.choice_extraction import mmlu_pro_guess
    from cft_lib.eval.protocol import GPQA_STOP, MMLU_PRO_STOP, OFFICIAL_MATH_STOP, QWEN2_STOP_TOKEN_IDS

    generation = GenerationConfig(max_new_tokens=64, stop=OFFICIAL_MATH_STOP, stop_token_ids=QWEN2_STOP_TOKEN_IDS)
    names = ("theoremqa", "gpqa_diamond", "micro-easy", "mmlu_pro")
    config = EvalConfig(benchmarks=names, limit=2, generation=generation)
    backend = RecordingBackend()
    result = evaluate(backend, config)
    # one call per sampling config: the math stops alone (theoremqa and micro-easy together), and
    # with GPQA's and MMLU-Pro's own stops added (duplicates once)
    stops = [c.stop for _, c in backend.calls]
    assert stops == [
        OFFICIAL_MATH_STOP,
        OFFICIAL_MATH_STOP + GPQA_STOP,
        OFFICIAL_MATH_STOP + ("Question:",),
    ]
    assert set(MMLU_PRO_STOP) <= set(stops[2]) and all(c.stop_token_ids == (151645, 151643) for _, c in backend.calls)
    assert [len(conversations) for conversations, _ in backend.calls] == [4, 1, 1]
    assert [r["benchmark"] for r in result.records] == ["theoremqa"] * 2 + ["gpqa_diamond"] + ["micro-easy"] * 2 + [
        "mmlu_pro"
    ]
    first = backend.calls[0][0][0]
    assert first[-1]["content"] == "Is 7 prime? (True or False)" and first[0]["role"] == "system"
    gpqa, mmlu = result.records[2], result.records[5]
    assert gpqa["extracted"] == "B" and "guessed" not in gpqa
    assert mmlu["guessed"] is True and mmlu["extracted"] == mmlu_pro_guess(4)
    assert mmlu["correct"] == (mmlu_pro_guess(4) == "B")
    assert result.records[0]["correct"] and not result.records[1]["correct"]  # \boxed{True} against True, 4


def test_prompt_overrides_reach_every_prompt_including_the_judge(paper_files):
    from cft_lib.eval.inference import InferenceConfig
    from cft_lib.llm.base import RAW_ROLE

    override = (("qwen25-math-cot", "deepseek-math"),)
    config = EvalConfig(benchmarks=("theoremqa", "gpqa_diamond"), limit=1, prompt_overrides=override)
    backend = RecordingBackend()
    evaluate(backend, config)
    [theorem], [gpqa] = (conversations for conversations, _ in backend.calls)
    assert theorem == [
        {
            "role": RAW_ROLE,
            "content": "User: Is 7 prime? (True or False)\nPlease reason step by step, and put your final answer "
            "within \\boxed{}.\n\nAssistant:",
        }
    ]
    assert gpqa[0] == {"role": "system", "content": "You are a helpful assistant."}  # not overridden
    two_stage = EvalConfig(
        benchmarks=("theoremqa",), limit=1, prompt_overrides=override, inference=InferenceConfig("two-stage", 2)
    )
    backend = RecordingBackend()
    record = evaluate(backend, two_stage).records[0]
    assert record["attempts"] == 1 and record["verdicts"] == [True]
    [solve], [judge] = (conversations for conversations, _ in backend.calls)
    assert solve[0]["role"] == judge[0]["role"] == RAW_ROLE
    assert judge[0]["content"].startswith("User: Please critique whether the following solution")


def test_new_knobs_leave_existing_fingerprints_alone_and_are_checked():
    from cft_lib.fingerprint import canonical

    tree = canonical(EvalConfig())
    assert "prompt_overrides" not in tree and "stop_token_ids" not in tree["generation"]
    assert tree["generation"]["stop"] == []  # `stop` was always there: still hashed when empty
    changed = canonical(EvalConfig(prompt_overrides=(("qwen25-math-cot", "deepseek-math"),)))
    assert changed["prompt_overrides"] == [["qwen25-math-cot", "deepseek-math"]]
    assert canonical(GenerationConfig(stop_token_ids=(7,)))["stop_token_ids"] == [7]
    with pytest.raises(ConfigError, match="deepseek-math"):
        EvalConfig(prompt_overrides=(("qwen25-math-cot", "deepseek-maths"),)).check()
