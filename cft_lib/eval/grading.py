"""Answer extraction and equivalence: the part of evaluation that decides the paper's comparisons.

Extraction, grading and aggregation are separate steps, and the grader is a choice
(`graders.GRADERS`: `math-verify`, the default, or `qwen25-math`, the CFT paper's own; the rules
and conventions of each are in cft_lib/eval/graders.py).
- Extraction (`extract_answer`) runs in this process; its rules are linear in the output's length.
- Equivalence (`is_equivalent`, `grade_pairs`): what needs no parsing (verdicts, choice letters,
  identical text, and for math-verify plain integers) is decided here; everything else goes to
  sympy, which can hang on adversarial outputs (a tall power tower in \\boxed{}), and a signal
  cannot interrupt a long C call, so it runs in a worker process that is killed when an item
  exceeds its time limit; that item is graded incorrect and the worker restarts for the rest.
No text can make either step raise: an unreadable output has no answer, and a comparison that fails
is a wrong answer.
"""

from __future__ import annotations

import atexit
import json
import select
import subprocess
import sys
from collections.abc import Sequence

from cft_lib.eval.extraction import (  # noqa: F401  (part of the public grading API)
    ANSWER_TYPES,
    VERDICTS,
    extract_choice,
    last_boxed,
    unwrap_text,
)
from cft_lib.eval.graders import DEFAULT_GRADER, GRADERS, get_grader  # noqa: F401  (public API)

DEFAULT_TIMEOUT_S = 5.0
_START_LIMIT_S = 120.0  # worker start-up and the grader's imports, outside any item's limit


def extract_answer(text: str, answer_type: str = "expression", grader: str = DEFAULT_GRADER) -> str | None:
    """The model's final answer in `text`, read the way `answer_type` says (expression | verdict |
    multiple_choice: a benchmark's `answer_type`) by `grader`'s rules (graders.py)."""
    return get_grader(grader).extract(text, answer_type)


class SafeGrader:
    """A grader in a killable worker process: no output can hang a run for longer than `timeout`.

    The worker is a plain `python -m cft_lib.eval.grade_worker` subprocess speaking JSON lines,
    so it never re-imports the caller's main module and never inherits torch's threads.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_S, grader: str = DEFAULT_GRADER) -> None:
        self.timeout = timeout
        self.grader = get_grader(grader)  # an unknown name fails here, before any worker starts
        self._process: subprocess.Popen | None = None
        self.timeouts = 0

    def _start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cft_lib.eval.grade_worker", "--grader", self.grader.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._ask("1", "1", limit=_START_LIMIT_S)

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=5)
            self._process = None

    def equivalent(self, pred: str | None, gold: str) -> bool:
        """`is_equivalent` on this grader's worker and time limit."""
        quick = self.grader.quick(pred, gold)
        if quick is not None or pred is None:  # quick decides every None prediction
            return bool(quick)
        return self(pred.strip(), gold.strip())

    def __call__(self, pred: str, gold: str) -> bool:
        for _ in range(2):  # a worker that died between items is restarted once
            if self._process is None or self._process.poll() is not None:
                self._start()
            if self._process is None:  # it could not start within its limit
                return False
            try:
                return self._ask(pred, gold, self.timeout)
            except OSError:  # the pipe broke: the worker died while we wrote
                self.close()
        return False

    def _ask(self, pred: str, gold: str, limit: float) -> bool:
        assert self._process is not None and self._process.stdin and self._process.stdout
        self._process.stdin.write(json.dumps([pred, gold]) + "\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], limit)
        if ready:
            line = self._process.stdout.readline()
            if line in ("true\n", "false\n"):
                return line == "true\n"
        if not ready:
            self.timeouts += 1
        self.close()  # past its limit, dead, or out of step: a fresh worker takes the next item
        return False


_default_graders: dict[str, SafeGrader] = {}


@atexit.register
def _close_default_graders() -> None:
    for grader in _default_graders.values():
        grader.close()


def is_equivalent(pred: str | None, gold: str, grader: str = DEFAULT_GRADER) -> bool:
    """Whether `pred` means the same as `gold` by `grader`'s rules, within the time limit."""
    if grader not in _default_graders:
        _default_graders[grader] = SafeGrader(grader=grader)
    return _default_graders[grader].equivalent(pred, gold)


def grade_pairs(
    pairs: Sequence[tuple[str | None, str]], timeout: float = DEFAULT_TIMEOUT_S, grader: str = DEFAULT_GRADER
) -> list[bool]:
    """Grade many (extracted prediction, gold) pairs with one worker and a per-item time limit."""
    safe = SafeGrader(timeout, grader)
    try:
        return [safe.equivalent(p, g) for p, g in pairs]
    finally:
        safe.close()
