"""Critique-skill scoring reads critiques step by step and tells a real critic from a rubber stamp."""

import math

from cft_lib.data.critiques import answer_line, conclusion_line, step_line
from cft_lib.data.microworld import parse_solution
from cft_lib.data.noise import ERROR_KINDS
from cft_lib.data.sources import CRITIQUE_SIZE, load_micro_critique_split
from cft_lib.eval.critique_skill import critique_metrics, score_critique, split_prompt
from cft_lib.teachers.oracle import OracleTeacher

ITEMS = load_micro_critique_split()


def _scores(critic):
    rows = []
    for item in ITEMS:
        question, response = split_prompt(item.question)
        rows.append(score_critique(item.question, critic(question, response)))
    return critique_metrics(rows)


def test_the_critique_set_is_balanced_over_verdicts_and_error_kinds():
    assert len(ITEMS) == CRITIQUE_SIZE
    rows = [score_critique(item.question, "") for item in ITEMS]
    assert all(r is not None for r in rows)
    assert sum(r["truth"] == "right" for r in rows) == CRITIQUE_SIZE // 2
    for kind in ERROR_KINDS:
        assert sum(r["kind"] == kind for r in rows) == CRITIQUE_SIZE // 8
    assert [item.answer == "right" for item in ITEMS] == [r["truth"] == "right" for r in rows]
    first_hundred = [r["truth"] for r in rows[:100]]
    assert first_hundred.count("right") == 50  # any prefix (--limit) stays balanced


def test_an_exact_critic_scores_perfectly():
    metrics = _scores(OracleTeacher(0.0).critique)
    for key in ("verdict_accuracy", "localisation", "recompute_accuracy", *(f"catch_{k}" for k in ERROR_KINDS)):
        assert metrics[f"critique/{key}"] == 1.0, key
    assert metrics["critique/right_share"] == 0.5
    assert metrics["critique/false_flags"] == 0.0 and metrics["critique/no_verdict_share"] == 0.0


def test_a_rubber_stamp_critic_is_at_chance_and_says_right_to_everything():
    def stamp(question, response):
        solution = parse_solution(response)
        lines = [step_line(i, s, s) for i, s in enumerate(solution.steps, start=1)]
        return "\n".join([*lines, answer_line(solution.final, solution.final), conclusion_line(True)])

    metrics = _scores(stamp)
    assert metrics["critique/verdict_accuracy"] == 0.5 and metrics["critique/right_share"] == 1.0
    assert metrics["critique/localisation"] == 0.0
    assert all(metrics[f"critique/catch_{k}"] == 0.0 for k in ERROR_KINDS)
    assert metrics["critique/recompute_accuracy"] < 0.95  # it copied the wrong values of wrong responses


def test_a_critic_without_verdicts_is_counted_and_never_right():
    metrics = _scores(lambda q, r: "I am not sure.")
    assert metrics["critique/verdict_accuracy"] == 0.0 and metrics["critique/no_verdict_share"] == 1.0
    assert metrics["critique/recompute_accuracy"] == 0.0
    assert math.isclose(metrics["critique/n"], CRITIQUE_SIZE)


def test_a_flag_on_the_wrong_step_is_not_a_localisation():
    teacher = OracleTeacher(0.0)
    item = next(i for i in ITEMS if i.answer == "wrong" and "Step 3:" in i.question)
    question, response = split_prompt(item.question)
    right = score_critique(item.question, teacher.critique(question, response))
    assert right["located"] is True
    critique = teacher.critique(question, response)
    flag = next(v for v in ("too high.", "too low.") if v in critique)
    shifted = critique.replace(flag, "right.", 1)
    assert score_critique(item.question, shifted)["located"] is False
