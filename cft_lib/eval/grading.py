"""Answer extraction and equivalence: the part of evaluation that decides the paper's comparisons.

Extraction, grading and aggregation are separate steps.
- Extraction (`extract_answer`): the last balanced \\boxed{...}; else "The answer is ..." /
  "final answer is ..."; else the last number. A formatting command around the whole answer
  (\\textbf{(073)}) is dropped. The rules follow the benchmark's answer type: verdict benchmarks
  read "Conclusion: right/wrong", multiple-choice ones a letter.
- Equivalence (`is_equivalent`, `grade_pairs`): plain integers and verdicts compare directly;
  everything else goes through math-verify with the gold answer first. Sympy can hang on
  adversarial outputs (a tall power tower in \\boxed{}), and a signal cannot interrupt a long C
  call, so math-verify runs in a worker process that is killed when an item exceeds its time
  limit; that item is graded incorrect and the worker restarts for the rest.
"""

from __future__ import annotations

import atexit
import json
import re
import select
import subprocess
import sys
from collections.abc import Sequence

from cft_lib.data.formats import parse_verdict
from cft_lib.data.latex import last_boxed  # noqa: F401  (part of the public grading API)

_INT_RE = re.compile(r"-?\d+")
_ANSWER_IS_RE = re.compile(r"(?:final answer|the answer)\s*(?:is|:)\s*:?\s*(.+?)(?:\.\s|\.$|\n|$)", re.IGNORECASE)
_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")
VERDICTS = ("right", "wrong")
ANSWER_TYPES = ("expression", "verdict", "multiple_choice")  # a Benchmark's answer_type
DEFAULT_TIMEOUT_S = 5.0


def extract_answer(text: str, answer_type: str = "expression") -> str | None:
    """The model's final answer in `text`, read the way `answer_type` says (expression | verdict |
    multiple_choice: a benchmark's `answer_type`; see the module docstring for the order of rules)."""
    if answer_type == "verdict":
        verdict = parse_verdict(text)
        return None if verdict is None else ("right" if verdict else "wrong")
    if answer_type == "multiple_choice":
        return extract_choice(text)
    if answer_type != "expression":
        raise ValueError(f"unknown answer type {answer_type!r}: expected one of {', '.join(ANSWER_TYPES)}")
    boxed = last_boxed(text)
    if boxed is not None:
        return unwrap_text(boxed)
    stated = _ANSWER_IS_RE.findall(text)
    if stated:
        return unwrap_text(stated[-1].strip().strip("$").strip())
    numbers = _NUMBER_RE.findall(text)
    return numbers[-1].replace(",", "") if numbers else None


_TEXT_WRAPPER_RE = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox)\s*\{")


def unwrap_text(answer: str) -> str:
    """`\\textbf{(073)}` -> `(073)`: a formatting command around the whole answer is not part of it."""
    while (match := _TEXT_WRAPPER_RE.match(answer)) and answer.endswith("}"):
        inner, depth = answer[match.end() : -1], 0
        for char in inner:  # the opening brace must close at the very end, not before
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                return answer
        answer = inner.strip()
    return answer


_CHOICE_RE = re.compile(r"answer is:?\s*\(?\s*([A-J])\s*\)?", re.IGNORECASE)
_LONE_LETTER_RE = re.compile(r"\(([A-J])\)|\b([A-J])\b")


def extract_choice(text: str) -> str | None:
    """The chosen letter: 'The answer is (X)', else a boxed letter, else the last lone (X) or X."""
    stated = _CHOICE_RE.findall(text)
    if stated:
        return stated[-1].upper()
    boxed = unwrap_text(last_boxed(text) or "")
    if boxed and re.fullmatch(r"\(?[A-J]\)?", boxed.strip()):
        return boxed.strip("() ").upper()
    lone = _LONE_LETTER_RE.findall(text)
    return next((a or b for a, b in reversed(lone)), None)


def _quick(pred: str | None, gold: str) -> bool | None:
    """Cases decided without sympy; None when math-verify must decide."""
    if pred is None or not pred.strip():
        return False
    pred, gold = pred.strip(), gold.strip()
    if gold in VERDICTS or re.fullmatch(r"[A-J]", gold):  # verdicts and choice letters compare as text
        return pred.upper() == gold.upper() if len(gold) == 1 else pred == gold
    if _INT_RE.fullmatch(pred) and _INT_RE.fullmatch(gold):
        return int(pred) == int(gold)
    if pred == gold:
        return True
    return None


_PARSED: dict[str, list] = {}


def _parsed(text: str) -> list:
    """math-verify's parse, cached (reference checks compare one gold with many candidates).

    Empty results are not cached: math-verify also returns nothing when its own parse timed out.
    """
    from math_verify import parse

    if text not in _PARSED:
        result = parse(text if "$" in text or "\\boxed" in text else f"${text}$")
        if not result:
            return result
        if len(_PARSED) >= 4096:
            _PARSED.clear()
        _PARSED[text] = result
    return _PARSED[text]


def _math_verify(pred: str, gold: str) -> bool:
    from math_verify import verify

    try:
        return bool(verify(_parsed(gold), _parsed(pred)))
    except Exception:  # math-verify raises on malformed LaTeX: such an answer is not equal
        return False


class SafeGrader:
    """math-verify in a killable worker process: no output can hang a run for longer than `timeout`.

    The worker is a plain `python -m cft_lib.eval.grade_worker` subprocess speaking JSON lines,
    so it never re-imports the caller's main module and never inherits torch's threads.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._process: subprocess.Popen | None = None
        self.timeouts = 0

    def _start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cft_lib.eval.grade_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._ask("1", "1", limit=120.0)  # start-up and math-verify's import, outside any item's limit

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=5)
            self._process = None

    def equivalent(self, pred: str | None, gold: str) -> bool:
        """`is_equivalent` on this grader's worker and time limit."""
        quick = _quick(pred, gold)
        if quick is not None or pred is None:  # _quick decides every None prediction
            return bool(quick)
        return self(pred.strip(), gold.strip())

    def __call__(self, pred: str, gold: str) -> bool:
        if self._process is None or self._process.poll() is not None:
            self._start()
        return self._ask(pred, gold, self.timeout)

    def _ask(self, pred: str, gold: str, limit: float) -> bool:
        assert self._process is not None and self._process.stdin and self._process.stdout
        self._process.stdin.write(json.dumps([pred, gold]) + "\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], limit)
        if ready:
            line = self._process.stdout.readline()
            if line:
                return json.loads(line) is True
        self.timeouts += 1
        self.close()
        return False


_default_grader = SafeGrader()
atexit.register(_default_grader.close)


def is_equivalent(pred: str | None, gold: str) -> bool:
    """Whether `pred` means the same as `gold` (gold first to math-verify), within the time limit."""
    return _default_grader.equivalent(pred, gold)


def grade_pairs(pairs: Sequence[tuple[str | None, str]], timeout: float = DEFAULT_TIMEOUT_S) -> list[bool]:
    """Grade many (extracted prediction, gold) pairs with one worker and a per-item time limit."""
    grader = SafeGrader(timeout)
    try:
        return [grader.equivalent(p, g) for p, g in pairs]
    finally:
        grader.close()
