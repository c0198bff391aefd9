"""Acceptance: every training-set variant from one micro-world source with an oracle teacher."""

import pytest

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.formats import CFT_INPUT, CFT_INSTRUCTION, parse_verdict
from cft_lib.data.microworld import parse_solution
from cft_lib.data.records import read_training_records
from cft_lib.data.sources import load_micro_critique_split, load_micro_split, micro_sources, micro_splits
from cft_lib.errors import ConfigError
from cft_lib.teachers.config import TeacherConfig

TEACHER = TeacherConfig(error_rate=0.2, seed=3)


@pytest.fixture(scope="module")
def built(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("CFT_HOME", str(tmp_path_factory.mktemp("home")))
    return {
        v: build_dataset(DataConfig(variant=v, size=400, teacher=TEACHER), progress=False)
        for v in ("sft", "sft-verified", "sft-teacher", "cft", "cft-shuffled")
    }


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_cft_records_use_the_papers_strings_exactly(built):
    records = read_training_records(built["cft"].path)
    assert len(records) == 400
    for record in records:
        assert record.instruction == "Please critique whether the following solution to the question is correct."
        assert record.input.startswith("Question:\n") and "\n\nSolution:\n" in record.input
        assert record.input.endswith("\n")
        question, response = record.input[len("Question:\n") : -1].split("\n\nSolution:\n")
        assert record.input == CFT_INPUT.format(question=question, response=response)
        assert record.output.startswith("Critique:\n")
        assert parse_verdict(record.output) == record.meta["verdict"]
    assert CFT_INSTRUCTION == records[0].instruction


def test_sft_verified_keeps_exactly_what_the_judge_accepts(built):
    teacher = TEACHER.build()
    kept = {r.id for r in read_training_records(built["sft-verified"].path)}
    stats = built["sft-verified"].stats
    examples = [e for _, e in micro_sources.get("micro-web").sample(stats["seen"], seed=0)]
    accepted = {e.id for e in examples if teacher.judge(e.question, e.response)}
    assert kept == accepted
    assert stats["built"] + stats["skipped"]["rejected"] == stats["seen"]
    # the judge is right 80% of the time, so verified data is much cleaner than the ~50% raw data
    assert stats["response_correct_share"] > built["sft"].stats["response_correct_share"] + 0.2


def test_sft_and_sft_teacher_cover_the_same_questions(built):
    raw = read_training_records(built["sft"].path)
    teacher = read_training_records(built["sft-teacher"].path)
    assert [r.instruction for r in raw] == [r.instruction for r in teacher]
    assert all(parse_solution(r.output).final is not None for r in teacher)


def test_shuffled_critiques_are_the_same_critiques_on_other_records(built):
    cft = read_training_records(built["cft"].path)
    shuffled = read_training_records(built["cft-shuffled"].path)
    assert [r.input for r in shuffled] == [r.input for r in cft]  # same questions and responses, in order
    assert sorted(r.output for r in shuffled) == sorted(r.output for r in cft)  # same critiques, moved
    by_id = {r.id: r.output for r in cft}
    assert all(r.output == by_id[r.meta["critique_of"]] and r.meta["critique_of"] != r.id for r in shuffled)
    # the control's verdicts no longer say anything about its responses; the real ones do
    assert abs(built["cft-shuffled"].stats["verdict_agreement"] - 0.5) < 0.1
    assert built["cft"].stats["verdict_agreement"] > 0.75


def test_every_drawn_record_is_accounted_for(built):
    for dataset in built.values():
        stats = dataset.stats
        assert stats["built"] + sum(stats["skipped"].values()) == stats["seen"]


def test_built_sets_are_reused(built):
    again = build_dataset(DataConfig(variant="cft", size=400, teacher=TEACHER), progress=False)
    assert again.path == built["cft"].path
    assert again.fingerprint == built["cft"].fingerprint


@pytest.mark.slow  # draws 5,000 problems from each source (~5 s)
def test_no_benchmark_or_validation_question_appears_in_any_source():
    held_out = {item.question for name in micro_splits for item in load_micro_split(name)}
    assert len(held_out) == sum(micro_splits.get(n).size for n in micro_splits)
    held_out |= {i.question.split("Question:\n")[1].split("\n\nSolution:")[0] for i in load_micro_critique_split()}
    for name in micro_sources:
        questions = {e.question for _, e in micro_sources.get(name).sample(5000, seed=0)}
        assert not questions & held_out, name


def test_bad_config_names_the_field():
    with pytest.raises(ConfigError, match="variant"):
        build_dataset(DataConfig(variant="cft-typo"))
    with pytest.raises(ConfigError, match="micro-web"):
        build_dataset(DataConfig(source="micro-wbe"))
