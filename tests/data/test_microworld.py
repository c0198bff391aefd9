import random

import pytest

from cft_lib.data.microworld import (
    TABLE,
    Difficulty,
    correct_solution,
    parse_question,
    parse_solution,
    render_solution,
    sample_problem,
)
from cft_lib.data.noise import ERROR_KINDS, error_kind, first_error, noisy_solution, sample_response


def test_questions_and_solutions_read_back_exactly():
    rng = random.Random(0)
    for _ in range(500):
        problem = sample_problem(rng, Difficulty(), phrasings=5)
        assert parse_question(problem.question) == problem
        solution = correct_solution(problem)
        parsed = parse_solution(render_solution(solution))
        assert parsed == solution
        assert [s.quote for s in parsed.steps] == [s.quote for s in solution.steps]
        assert render_solution(solution).endswith(f"\\boxed{{{problem.answer}}}.")


def test_distractors_are_about_somebody_else_and_do_not_change_the_answer():
    rng = random.Random(5)
    problems = [sample_problem(rng, Difficulty(max_distractors=2)) for _ in range(300)]
    assert sum(len(p.distractors) for p in problems) > 200
    for problem in problems:
        for distractor in problem.distractors:
            assert distractor.name != problem.name and distractor.item != problem.item
            assert distractor.name in problem.question


def test_every_value_and_equation_stays_in_the_fact_table():
    rng = random.Random(1)
    facts = set(TABLE.facts)
    for _ in range(500):
        problem = sample_problem(rng, Difficulty(min_steps=2, max_steps=6))
        assert 2 <= len(problem.steps) <= 6
        for step in correct_solution(problem).steps:
            assert (step.left, step.op, step.right, step.result) in facts
        for kind in ERROR_KINDS:
            noisy = noisy_solution(problem, rng, kind)
            assert all(0 <= s.result <= TABLE.max_value for s in noisy.steps)
            assert 0 <= noisy.final <= TABLE.max_value


def test_the_fact_table_is_small_and_closed():
    assert len(TABLE.facts) == len(set(TABLE.facts)) == 360
    assert all(0 <= c <= TABLE.max_value for *_, c in TABLE.facts)
    assert all(a % b == 0 for a, op, b, _ in TABLE.facts if op == "/")


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_every_error_kind_makes_the_final_answer_wrong_and_is_recognised(kind):
    rng = random.Random(2)
    recognised = 0
    for _ in range(200):
        problem = sample_problem(rng, Difficulty())
        noisy = noisy_solution(problem, rng, kind)
        assert noisy.final != problem.answer
        assert first_error(problem, noisy) is not None
        recognised += error_kind(problem, noisy) == kind
        if kind == "wrong_final_copy":
            assert noisy.steps == correct_solution(problem).steps
            assert first_error(problem, noisy) == len(problem.steps) + 1
    assert recognised >= 180  # a kind that does not fit the problem falls back to a wrong final copy


def test_errors_propagate_through_later_steps_with_the_question_quoted_right():
    rng = random.Random(3)
    for _ in range(100):
        problem = sample_problem(rng, Difficulty(min_steps=4, max_steps=4))
        noisy = noisy_solution(problem, rng, "arithmetic_slip")
        for before, after in zip(noisy.steps, noisy.steps[1:], strict=False):
            assert after.left == before.result  # each step starts from the value written before
        assert [s.quote for s in noisy.steps] == [s.quote for s in correct_solution(problem).steps]


def test_response_error_rate_is_respected():
    rng = random.Random(4)
    problems = [sample_problem(rng, Difficulty()) for _ in range(2000)]
    right = sum(sample_response(p, rng, 0.3)[1] is None for p in problems)
    assert abs(right / 2000 - 0.7) < 0.04


def test_non_micro_text_is_not_parsed():
    assert parse_question("What is the derivative of x^2?") is None
    assert parse_solution("no steps here").final is None
    assert parse_solution("Step 1: 3 + 4 = 7.\nThe answer is \\boxed{7}.").steps[0].result == 7  # quotes optional
