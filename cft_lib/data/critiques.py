"""The micro-world's critique format: restate each step, recompute it, and compare by size.

    Step 1: Mia gives away 5 shells, so 13 - 5 = 8 ; check 13 - 5 = 8 ; right.
    Step 2: Mia keeps one in every 2 shells, so 8 / 2 = 5 ; check 8 / 2 = 4 ; too high.
    Step 3: Mia gets 3 more shells, so 5 + 3 = 8 ; check 4 + 3 = 7 ; too high.
    The answer is \\boxed{8} ; check 7 ; too high.
    Conclusion: wrong

Each line restates the response's step, then recomputes the step from the sentence it quotes and
from the *checked* value before it, then compares the response's value with the recomputed one:
right, too high or too low. The first line that is not right names the first wrong step; after
it the check carries the corrected derivation on. The final answers are compared the same way.

Why this shape (measured in the project's research notes): a critic can only check a step it can
compute, and a small transformer computes well only what is *local*. Restating the step first puts
the quoted sentence, the response's equation and its value right before the check, so nothing has
to be looked up far back in the prompt (the version that recomputed without restating learned to
copy its own value as the response's and called every step right). And the comparison is by size,
not same/different: a tiny model learned "less / same / more" of two numbers in ~400 steps of
practice but did not learn "same / different" in 1,500 (a same/different answer carries no
information about either number alone, so gradient descent has nothing to start from).

The same text is written by the oracle teacher (teachers/oracle.py) and read back here to score a
model's critiques step by step (eval/critique_skill.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cft_lib.data.microworld import ANSWER_LINE, SolutionStep, render_equation, render_step

NOTHING = "nothing"  # where the response wrote no such step or answer, or the problem has no such step
RIGHT, TOO_HIGH, TOO_LOW, MISSING, EXTRA = "right", "too high", "too low", "missing", "extra"
VERDICTS = (RIGHT, TOO_HIGH, TOO_LOW, MISSING, EXTRA)


def compare(written: int | None, recomputed: int | None) -> str:
    """How the response's value compares with the recomputed one."""
    if written is None:
        return MISSING
    if recomputed is None:
        return EXTRA
    return RIGHT if written == recomputed else (TOO_HIGH if written > recomputed else TOO_LOW)


def step_line(index: int, written: SolutionStep | None, check: SolutionStep | None) -> str:
    """'Step k: <the response's step> ; check <recomputed equation> ; <comparison>.'"""
    restated = render_step(index, written).removesuffix(".") if written else f"Step {index}: {NOTHING}"
    checked = render_equation(check) if check else NOTHING
    verdict = compare(written.result if written else None, check.result if check else None)
    return f"{restated} ; check {checked} ; {verdict}."


def answer_line(written: int | None, checked: int) -> str:
    restated = (
        ANSWER_LINE.format(answer=written).removesuffix(".") if written is not None else f"The answer is {NOTHING}"
    )
    return f"{restated} ; check {checked} ; {compare(written, checked)}."


def conclusion_line(verdict: bool) -> str:
    return f"Conclusion: {'right' if verdict else 'wrong'}"


_VERDICT = r"(right|too high|too low|missing|extra)"
_STEP_RE = re.compile(
    r"Step\s+(\d+)\s*:.*?;\s*check\s+(?:-?\d+\s*[-+*/]\s*-?\d+\s*=\s*)?(-?\d+|nothing)\s*;\s*" + _VERDICT
)
_ANSWER_RE = re.compile(r"The answer is.*?;\s*check\s+(-?\d+)\s*;\s*" + _VERDICT)

ANSWER = "answer"  # the position of a flag on the answer line


@dataclass
class ParsedCritique:
    """What a critique says: recomputed values by step, the first place it flags, its answer."""

    values: dict[int, int] = field(default_factory=dict)  # step number -> recomputed result (first line wins)
    first_flag: int | str | None = None  # a step number, ANSWER, or None if nothing is flagged
    answer: int | None = None


def parse_critique(text: str) -> ParsedCritique:
    """Read a critique in the format above; lines that do not fit are ignored (a model may ramble)."""
    parsed = ParsedCritique()
    for line in text.splitlines():
        if (match := _ANSWER_RE.search(line)) is not None:
            parsed.answer = int(match[1])
            if match[2] != RIGHT and parsed.first_flag is None:
                parsed.first_flag = ANSWER
        elif (match := _STEP_RE.search(line)) is not None:
            index = int(match[1])
            if match[2] != NOTHING:
                parsed.values.setdefault(index, int(match[2]))
            if match[3] != RIGHT and parsed.first_flag is None:
                parsed.first_flag = index
    return parsed
