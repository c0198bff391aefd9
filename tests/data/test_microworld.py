import random

import pytest

from cft_lib.data.microworld import (
    Difficulty,
    correct_solution,
    parse_question,
    parse_solution,
    render_solution,
    sample_problem,
)
from cft_lib.data.noise import ERROR_KINDS, noisy_solution, sample_response


def test_questions_and_solutions_read_back_exactly():
    rng = random.Random(0)
    for _ in range(300):
        problem = sample_problem(rng, Difficulty(), phrasings=5)
        assert parse_question(problem.question) == problem
        solution = correct_solution(problem)
        assert parse_solution(render_solution(solution)) == solution
        assert render_solution(solution).endswith(f"\\boxed{{{problem.answer}}}.")


def test_values_stay_in_range_and_steps_in_bounds():
    rng = random.Random(1)
    difficulty = Difficulty(min_steps=2, max_steps=3, max_value=50)
    for _ in range(300):
        problem = sample_problem(rng, difficulty)
        assert 2 <= len(problem.steps) <= 3
        assert all(0 <= v <= 50 for v in problem.values)


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_every_error_kind_makes_the_final_answer_wrong(kind):
    rng = random.Random(2)
    for _ in range(100):
        problem = sample_problem(rng, Difficulty())
        noisy = noisy_solution(problem, rng, kind)
        assert noisy.final != problem.answer
        if kind == "wrong_final_copy":
            assert noisy.steps == correct_solution(problem).steps


def test_errors_propagate_through_later_steps():
    rng = random.Random(3)
    problem = next(p for p in (sample_problem(rng, Difficulty(min_steps=4, max_steps=4)) for _ in range(50)))
    noisy = noisy_solution(problem, rng, "arithmetic_slip")
    for before, after in zip(noisy.steps, noisy.steps[1:], strict=False):
        assert after.left == before.result  # each step starts from the value written before


def test_response_error_rate_is_respected():
    rng = random.Random(4)
    problems = [sample_problem(rng, Difficulty()) for _ in range(2000)]
    right = sum(sample_response(p, rng, 0.3)[1] for p in problems)
    assert abs(right / 2000 - 0.7) < 0.04


def test_non_micro_text_is_not_parsed():
    assert parse_question("What is the derivative of x^2?") is None
    assert parse_solution("no steps here").final is None
