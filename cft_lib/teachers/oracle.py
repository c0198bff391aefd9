"""The micro-world oracle teacher: exact critiques with a configurable, realistic error rate.

It reads only the question and response texts (parsing them back with the micro-world's own
grammar) and writes critiques in the format of data/critiques.py: each step of the response
restated, recomputed from the question and from the checked value before it, and compared by size
(right, too high, too low), so the first wrong step is named and the corrected derivation carried
on after it; then the final answers compared, and a verdict.

With probability `error_rate` a critique is wrong the way LLM critiques go wrong (Section 4.1):
it misses a real error, or flags a correct step. judge() returns the verdict of the same
critique and solve() slips with the same probability, so one knob sets a teacher's quality.
Every call is deterministic in (seed, question, response): asking twice gives the same answer.
"""

from __future__ import annotations

import random

from cft_lib.data.critiques import answer_line, conclusion_line, step_line
from cft_lib.data.formats import parse_verdict
from cft_lib.data.microworld import (
    TABLE,
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


def _checks_from(problem: Problem, at: int, value: int) -> list[SolutionStep] | None:
    """The question's steps from step `at` (0-based) on, started from `value`; None if that leaves the table."""
    checks, current = [], value
    for step in problem.steps[at:]:
        if not TABLE.holds(current, step.op, step.operand):
            return None
        result = apply_op(current, step.op, step.operand)
        checks.append(SolutionStep(current, step.op, step.operand, result))
        current = result
    return checks


def _lines(solution: Solution, checks: list[SolutionStep], answer: int) -> list[str]:
    """Restate-check-compare lines for every step (the longer of response and check) and the answer."""
    lines = []
    for index in range(max(len(solution.steps), len(checks))):
        written = solution.steps[index] if index < len(solution.steps) else None
        check = checks[index] if index < len(checks) else None
        lines.append(step_line(index + 1, written, check))
    return lines + [answer_line(solution.final, answer)]


def exact_critique(problem: Problem, solution: Solution) -> tuple[list[str], bool]:
    """An exact critique (data/critiques.py format) and its verdict."""
    right = correct_solution(problem)
    checks = [SolutionStep(s.left, s.op, s.right, s.result) for s in right.steps]
    assert right.final is not None  # a correct solution always states its answer
    return _lines(solution, checks, right.final), solution == right and len(solution.steps) == len(right.steps)


def _missed_error(solution: Solution) -> list[str]:
    """A wrong critique of a wrong solution: every written step "checked" by repeating it."""
    final = solution.final if solution.final is not None else (solution.steps[-1].result if solution.steps else 0)
    return _lines(solution, list(solution.steps), final)


def _false_alarm(problem: Problem, solution: Solution, rng: random.Random) -> list[str]:
    """A wrong critique of a right solution: one step "recomputed" to a wrong value, and the check
    carried on from it (the way a careless critic goes wrong)."""
    right = correct_solution(problem)
    for _ in range(20):
        at = rng.randrange(len(right.steps))
        step = right.steps[at]
        bad = rng.choice(
            [v for v in range(step.result - 3, step.result + 4) if v != step.result and 0 <= v <= TABLE.max_value]
        )
        later = _checks_from(problem, at + 1, bad)
        if later is not None:
            checks = [SolutionStep(s.left, s.op, s.right, s.result) for s in right.steps[:at]]
            checks += [SolutionStep(step.left, step.op, step.right, bad), *later]
            return _lines(solution, checks, checks[-1].result)
    # no wrong value carries through the later steps: misjudge the final answer instead
    assert right.final is not None
    bad = rng.choice([v for v in range(right.final - 3, right.final + 4) if v != right.final and v >= 0])
    return _lines(solution, [SolutionStep(s.left, s.op, s.right, s.result) for s in right.steps], bad)


def _render(lines: list[str], verdict: bool) -> str:
    return "\n".join([*lines, conclusion_line(verdict)])


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
        lines, verdict = exact_critique(problem, solution)
        rng = self._rng("critique", question, response)
        if rng.random() >= self.error_rate:
            return _render(lines, verdict)
        if verdict:
            return _render(_false_alarm(problem, solution, rng), False)
        return _render(_missed_error(solution), True)

    def judge(self, question: str, response: str) -> bool:
        return bool(parse_verdict(self.critique(question, response)))

    def solve(self, question: str) -> str:
        problem = self._problem(question)
        rng = self._rng("solve", question)
        if rng.random() < self.error_rate:
            return render_solution(noisy_solution(problem, rng))
        return render_solution(correct_solution(problem))
