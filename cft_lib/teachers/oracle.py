"""The micro-world oracle teacher: exact critiques with a configurable, realistic error rate.

It reads only the question and response texts (parsing them back with the micro-world's own
grammar), names the first wrong step with its right value, and - like good teacher critiques in
the paper's appendix - re-derives the rest of the solution from the question and ends with the
correct boxed answer and a verdict.

With probability `error_rate` a critique is wrong the way LLM critiques go wrong (Section 4.1):
it misses a real error, or flags a correct step. judge() returns the verdict of the same
critique and solve() slips with the same probability, so one knob sets a teacher's quality.
Every call is deterministic in (seed, question, response): asking twice gives the same answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cft_lib.data.microworld import (
    Problem,
    Solution,
    SolutionStep,
    apply_op,
    correct_solution,
    parse_question,
    parse_solution,
    render_solution,
)
from cft_lib.data.noise import noisy_solution
from cft_lib.errors import DataError
from cft_lib.teachers.base import parse_verdict, teachers

_OP_WORDS = {"+": "add", "-": "subtract", "*": "multiply by", "/": "divide by"}


def _eq(step: SolutionStep) -> str:
    return f"{step.left} {step.op} {step.right} = {step.result}"


@dataclass(frozen=True)
class _Walk:
    lines: list[str]
    verdict: bool
    answer: int


def _walk(problem: Problem, solution: Solution) -> _Walk:
    """An exact critique: check each written step against the question, re-derive after an error."""
    right = correct_solution(problem).steps
    lines: list[str] = []
    error_found = False
    for index, expected in enumerate(right, start=1):
        written = solution.steps[index - 1] if index <= len(solution.steps) else None
        if error_found:
            lines.append(f"Step {index} should then be {_eq(expected)}.")
        elif written == expected:
            lines.append(f"Step {index}: {_eq(expected)} is correct.")
        else:
            error_found = True
            lines.append(f"Step {index}: {_explain(written, expected)} This step is wrong.")
    if not error_found and len(solution.steps) > len(right):
        error_found = True
        lines.append(f"The question has only {len(right)} steps, but the solution goes on.")
    if not error_found and solution.final != problem.answer:
        error_found = True
        shown = "no boxed answer" if solution.final is None else f"\\boxed{{{solution.final}}}"
        lines.append(f"The steps give {problem.answer}, but the solution writes {shown}.")
    return _Walk(lines, not error_found, problem.answer)


def _explain(written: SolutionStep | None, expected: SolutionStep) -> str:
    if written is None:
        return f"the solution stops early; it should be {_eq(expected)}."
    if written.op != expected.op:
        return (f"the question says to {_OP_WORDS[expected.op]} {expected.right}, "
                f"so it is {_eq(expected)}, not {_eq(written)}.")
    if written.right != expected.right:
        return f"the question gives {expected.right}, not {written.right}, so it is {_eq(expected)}."
    if written.left != expected.left:
        return f"it should start from {expected.left}: {_eq(expected)}."
    return f"{expected.left} {expected.op} {expected.right} is {expected.result}, not {written.result}."


def _render(walk: _Walk, answer: int, verdict: bool) -> str:
    if verdict:
        tail = f"The final answer \\boxed{{{answer}}} is correct.\nConclusion: right"
    else:
        tail = f"The correct answer is \\boxed{{{answer}}}.\nConclusion: wrong"
    return "\n".join([*walk.lines, tail])


def _missed_error(solution: Solution) -> _Walk:
    """A wrong critique of a wrong solution: every written step waved through."""
    lines = [f"Step {i}: {_eq(s)} is correct." for i, s in enumerate(solution.steps, start=1)]
    return _Walk(lines, True, solution.final if solution.final is not None else 0)


def _false_alarm(problem: Problem, rng: random.Random) -> _Walk:
    """A wrong critique of a right solution: a correct step 'corrected' to a wrong value."""
    right = correct_solution(problem).steps
    at = rng.randrange(len(right))
    lines = [f"Step {i}: {_eq(s)} is correct." for i, s in enumerate(right[:at], start=1)]
    bad = right[at].result + rng.choice([-1, 1]) * rng.randint(1, 9)
    lines.append(f"Step {at + 1}: {right[at].left} {right[at].op} {right[at].right} is {bad}, "
                 f"not {right[at].result}. This step is wrong.")
    current = bad
    for index, step in enumerate(problem.steps[at + 1:], start=at + 2):
        result = apply_op(current, step.op, step.operand)
        lines.append(f"Step {index} should then be {current} {step.op} {step.operand} = {result}.")
        current = result
    return _Walk(lines, False, current)


@teachers.register("oracle")
class OracleTeacher:
    """Critiques, judges and solves micro-world problems; wrong with probability `error_rate`."""

    def __init__(self, error_rate: float = 0.0, seed: int = 0, name: str | None = None) -> None:
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"error_rate must be in [0, 1], got {error_rate}")
        self.error_rate = error_rate
        self.seed = seed
        self.name = name or f"oracle(error_rate={error_rate})"

    def _rng(self, *parts: str) -> random.Random:
        return random.Random("\x1f".join([str(self.seed), *parts]))

    def _problem(self, question: str) -> Problem:
        problem = parse_question(question)
        if problem is None:
            raise DataError(f"the oracle teacher cannot read this question: {question[:80]!r}")
        return problem

    def critique(self, question: str, response: str) -> str:
        problem = self._problem(question)
        solution = parse_solution(response)
        walk = _walk(problem, solution)
        rng = self._rng("critique", question, response)
        if rng.random() >= self.error_rate:
            return _render(walk, walk.answer, walk.verdict)
        if walk.verdict:
            wrong = _false_alarm(problem, rng)
            return _render(wrong, wrong.answer, False)
        wrong = _missed_error(solution)
        return _render(wrong, wrong.answer, True)

    def judge(self, question: str, response: str) -> bool:
        return bool(parse_verdict(self.critique(question, response)))

    def solve(self, question: str) -> str:
        problem = self._problem(question)
        rng = self._rng("solve", question)
        if rng.random() < self.error_rate:
            return render_solution(noisy_solution(problem, rng))
        return render_solution(correct_solution(problem))
