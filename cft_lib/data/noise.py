"""Noisy responses: one realistic error in a worked solution, propagated through later steps.

The four error kinds are the ones that make real math responses wrong: an arithmetic slip, a
wrong operation, a copied wrong number and a wrong final copy. After the error, later steps are
computed correctly *from the wrong value*, as a student would, so the final answer is wrong too.
"""

from __future__ import annotations

import random

from cft_lib.data.microworld import Problem, Solution, SolutionStep, apply_op, correct_solution

ERROR_KINDS = ("arithmetic_slip", "wrong_operation", "wrong_number", "wrong_final_copy")

# The operation a student confuses each one with (direction mix-ups, not wild guesses).
_CONFUSED_OP = {"+": "-", "-": "+", "*": "+", "/": "-"}


def _offset(rng: random.Random, low: int = 1, high: int = 9) -> int:
    return rng.choice([-1, 1]) * rng.randint(low, high)


def noisy_solution(problem: Problem, rng: random.Random, kind: str | None = None) -> Solution:
    """The problem's solution with one error of `kind` (random if None); the final answer is wrong."""
    kind = kind or rng.choice(ERROR_KINDS)
    right = correct_solution(problem)
    if kind == "wrong_final_copy":
        return Solution(right.steps, right.final + _offset(rng))

    at = rng.randrange(len(problem.steps))
    steps: list[SolutionStep] = list(right.steps[:at])
    current = right.steps[at].left
    for index, step in enumerate(problem.steps[at:], start=at):
        op, operand = step.op, step.operand
        if index == at:
            if kind == "wrong_operation":
                op = _CONFUSED_OP[step.op]
            elif kind == "wrong_number":
                operand = max(1, operand + _offset(rng, 1, 5))
                if operand == step.operand:
                    operand += 1
        result = apply_op(current, op, operand)
        if index == at and kind == "arithmetic_slip":
            result += _offset(rng)
        steps.append(SolutionStep(current, op, operand, result))
        current = result
    if current == right.final:  # the error cancelled out: slip the last result instead
        last = steps[-1]
        current = last.result + _offset(rng)
        steps[-1] = SolutionStep(last.left, last.op, last.right, current)
    return Solution(tuple(steps), current)


def sample_response(problem: Problem, rng: random.Random, error_rate: float) -> tuple[Solution, bool]:
    """A response that is wrong with probability `error_rate`; returns it and whether it is right."""
    if rng.random() < error_rate:
        return noisy_solution(problem, rng), False
    return correct_solution(problem), True
