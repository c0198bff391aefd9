"""Noisy responses: one realistic error in a worked solution, propagated through later steps.

The four error kinds are the ones that make real math responses wrong, and each needs a different
check to catch: an arithmetic slip (recompute the step), a wrong operation or a wrong number
(read the question again), a wrong final copy (compare the answer with the last step). After the
error, later steps are computed correctly *from the wrong value*, as a student would, so the
final answer is wrong too. Every written value stays in the fact table's range and every later
equation is a fact of the table, so a wrong response cannot be told by an odd number alone.
"""

from __future__ import annotations

import random
from dataclasses import replace

from cft_lib.data.microworld import (
    TABLE,
    Problem,
    Solution,
    SolutionStep,
    apply_op,
    correct_solution,
    step_sentence,
)

ERROR_KINDS = ("arithmetic_slip", "wrong_operation", "wrong_number", "wrong_final_copy")

# The operations a student confuses each one with (direction mix-ups, not wild guesses).
_CONFUSED_OPS = {"+": ("-",), "-": ("+",), "*": ("+", "/"), "/": ("-", "*")}


def _near(rng: random.Random, value: int, spread: int) -> int | None:
    """A value within `spread` of `value`, different from it, inside the table's range."""
    options = [v for v in range(value - spread, value + spread + 1) if v != value and 0 <= v <= TABLE.max_value]
    return rng.choice(options) if options else None


def _wrong_step(step: SolutionStep, kind: str, rng: random.Random) -> SolutionStep | None:
    """`step` with one error of `kind` whose result differs from the right one; None if impossible."""
    if kind == "arithmetic_slip":
        result = _near(rng, step.result, 3)
        return None if result is None else replace(step, result=result)
    if kind == "wrong_operation":
        ops = [
            op
            for op in _CONFUSED_OPS[step.op]
            if TABLE.holds(step.left, op, step.right) and apply_op(step.left, op, step.right) != step.result
        ]
        if not ops:
            return None
        op = rng.choice(ops)
        return replace(step, op=op, result=apply_op(step.left, op, step.right))
    if kind == "wrong_number":
        operands = [
            b
            for b in TABLE.operands(step.left, step.op)
            if b != step.right and abs(b - step.right) <= 3 and apply_op(step.left, step.op, b) != step.result
        ]
        if not operands:
            return None
        operand = rng.choice(operands)
        return replace(step, right=operand, result=apply_op(step.left, step.op, operand))
    raise ValueError(f"unknown error kind {kind!r}")


def _propagate(problem: Problem, at: int, wrong: SolutionStep) -> tuple[SolutionStep, ...] | None:
    """Right steps before `at`, the wrong one, then the question's steps from the wrong value."""
    right = correct_solution(problem).steps
    steps = [*right[:at], wrong]
    current = wrong.result
    for step in problem.steps[at + 1 :]:
        if not TABLE.holds(current, step.op, step.operand):
            return None  # the wrong value would leave the table: try another error
        result = apply_op(current, step.op, step.operand)
        steps.append(SolutionStep(current, step.op, step.operand, result, step_sentence(problem, step)))
        current = result
    return tuple(steps)


def noisy_solution(problem: Problem, rng: random.Random, kind: str | None = None) -> Solution:
    """The problem's solution with one error of `kind` (random if None); the final answer is wrong.

    Falls back to a wrong final copy when no error of `kind` fits the problem (rare: e.g. a
    one-step problem whose only operation has no confusable neighbour).
    """
    kind = kind or rng.choice(ERROR_KINDS)
    right = correct_solution(problem)
    if kind != "wrong_final_copy":
        for _ in range(50):
            at = rng.randrange(len(problem.steps))
            wrong = _wrong_step(right.steps[at], kind, rng)
            steps = _propagate(problem, at, wrong) if wrong is not None else None
            if steps is not None:
                return Solution(steps, steps[-1].result)
    assert right.final is not None  # a correct solution always states its answer
    final = _near(rng, right.final, 3)
    return Solution(right.steps, final)


def error_prone_solution(problem: Problem, rng: random.Random, rate: float) -> Solution:
    """A solution whose every step goes wrong with probability `rate` (any kind but a final copy),
    each later step computed from the value written before it, and whose final answer is miscopied
    with probability `rate` / 2: the careless responses that critique documents in pre-training
    discuss. Errors that would take a later step out of the table are drawn again."""
    for _ in range(20):
        steps, current = [], problem.start
        for step in problem.steps:
            if not TABLE.holds(current, step.op, step.operand):
                break
            right = SolutionStep(
                current, step.op, step.operand, apply_op(current, step.op, step.operand), step_sentence(problem, step)
            )
            wrong = _wrong_step(right, rng.choice(ERROR_KINDS[:3]), rng) if rng.random() < rate else None
            steps.append(wrong or right)
            current = steps[-1].result
        else:
            miscopied = _near(rng, current, 3) if rng.random() < rate / 2 else None
            return Solution(tuple(steps), current if miscopied is None else miscopied)
    return noisy_solution(problem, rng)


def first_error(problem: Problem, solution: Solution) -> int | None:
    """Where a solution first goes wrong: a step number (1-based), len(steps) + 1 for the final
    answer, or None if it is right. Read from the solution itself, whatever wrote it."""
    right = correct_solution(problem)
    for index, expected in enumerate(right.steps, start=1):
        if index > len(solution.steps) or solution.steps[index - 1] != expected:
            return index
    if len(solution.steps) > len(right.steps) or solution.final != right.final:
        return len(right.steps) + 1
    return None


def error_kind(problem: Problem, solution: Solution) -> str | None:
    """Which of ERROR_KINDS the first error is (None if right; 'other' if none of them fits)."""
    at = first_error(problem, solution)
    if at is None:
        return None
    right = correct_solution(problem).steps
    if at > len(right):
        return "wrong_final_copy" if len(solution.steps) == len(right) else "other"
    expected, written = right[at - 1], solution.steps[at - 1] if at <= len(solution.steps) else None
    if written is None or written.left != expected.left:
        return "other"
    if written.op != expected.op:
        return "wrong_operation"
    if written.right != expected.right:
        return "wrong_number"
    return "arithmetic_slip"


def sample_response(problem: Problem, rng: random.Random, error_rate: float) -> tuple[Solution, str | None]:
    """A response that is wrong with probability `error_rate`: the solution and its error kind (None: right)."""
    if rng.random() < error_rate:
        kind = rng.choice(ERROR_KINDS)
        solution = noisy_solution(problem, rng, kind)
        return solution, error_kind(problem, solution)
    return correct_solution(problem), None
