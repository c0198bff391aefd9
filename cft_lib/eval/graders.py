"""Graders: named rule sets that read a model's final answer and decide whether it means the gold.

Evaluation picks one by name (`grader:`); both run behind the same time limit in the same killable
worker (grading.SafeGrader).
- `math-verify` (the default, cft-lab's own): extraction by `extraction.extract_expression`;
  equivalence by math-verify with the gold first, after the quick paths below.
- `qwen25-math`: what the CFT paper's numbers were graded with, the Qwen2.5-Math evaluation
  toolkit as modified in the CFT repo: extraction `qwen_parser.extract_qwen_answer`, equivalence
  `qwen_equal.qwen_equal` (toolkit `math_equal` plus CFT's lenient numeric rules).

Shared by both: the answer types `verdict` and `multiple_choice` extract the same way; a missing or
blank prediction is wrong; a verdict gold ("right"/"wrong") is matched as text; a choice-letter
gold (A-J) is matched by the letter alone (`C`, `(C)`, `\\text{(C)}`); a dollar amount (`\\$5`,
`\\\\$5.00`, `5 dollars`) equals its number. Any text, of any length, grades without raising
(wrong where a rule fails) and without quadratic work; the time limit bounds the rest.

Conventions, the stated position of each grader (math-verify | qwen25-math):
- Several boxed answers: the last \\boxed{} whose braces balance | the text after the last
  "boxed", to its closing brace, or to the end when it never closes (the toolkit's rule).
- No boxed answer: Minerva's "final answer is $X$. I hope" sentence, then "the answer is X" to the
  end of its sentence, then the last number | the Minerva sentence, then all the text after the
  last "he answer is" (or "final answer is"), then the last number.
- Commas: `1,000` is 1000 in both. `3,5` is the pair (3, 5) for math-verify (35 when read as the
  last number of a text) | always a thousands separator, so 35 and never 3.5. Neither grader reads
  a decimal comma.
- Numbers: integers exactly, otherwise math-verify's float rounding | a relative tolerance of 1e-4
  against gold, gold/100 and gold*100 (so `0.5` equals `50\\%`, and `5` equals `500`), and, from
  CFT, equal whenever both round to the same tenth.
- Units, `\\text{}`, `^\\circ`, `\\%`: as math-verify's normaliser strips them | removed by the
  toolkit's `strip_string` and its unit-word list, on both sides.
- An answer or gold over `MAX_COMPARED_CHARS`: equal only to the same number or the same text, in
  both (no gold of the paper's benchmarks is near that long).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cft_lib.eval.extraction import (
    ANSWER_TYPES,
    VERDICTS,
    affordable_to_parse,
    extract_choice,
    extract_expression,
    plain_amount,
    unwrap_text,
    verdict,
)
from cft_lib.eval.qwen_equal import qwen_equal
from cft_lib.eval.qwen_parser import extract_qwen_answer
from cft_lib.registry import Registry

GRADERS = ("math-verify", "qwen25-math")
DEFAULT_GRADER = "math-verify"
MAX_COMPARED_CHARS = 10_000  # past this an answer is compared as a number or as text, never parsed

_INT = re.compile(r"-?[0-9]+")
_LETTER_GOLD = re.compile(r"[A-J]")
_LETTER_ANSWER = re.compile(r"\(?\s*([A-Ja-j])\s*\)?")


@dataclass(frozen=True)
class Grader:
    """One grader: how an expression answer is read, and how two answers are compared."""

    name: str
    extract_expression: Callable[[str], str | None]
    compare: Callable[[str, str], bool]  # may be slow (sympy): runs in grading.SafeGrader's worker
    integers_as_numbers: bool  # decide integer pairs in-process (math-verify would agree)
    modules: tuple[str, ...]  # imported by warm_up, before the first item's time limit starts

    def extract(self, text: str, answer_type: str = "expression") -> str | None:
        """The final answer in `text` as `answer_type` reads it; None when there is none."""
        if answer_type not in ANSWER_TYPES:  # a programming error, not an odd output: raise
            raise ValueError(f"unknown answer type {answer_type!r}: expected one of {', '.join(ANSWER_TYPES)}")
        try:
            if answer_type == "verdict":
                return verdict(text)
            if answer_type == "multiple_choice":
                return extract_choice(text)
            return self.extract_expression(text)
        except Exception:  # no output may stop an evaluation: an unreadable one simply has no answer
            return None

    def quick(self, pred: str | None, gold: str) -> bool | None:
        """The verdict when it needs no parsing (so no worker); None when `equal` must decide."""
        if pred is None or not pred.strip():
            return False
        pred, gold = pred.strip(), gold.strip()
        if gold in VERDICTS:
            return pred == gold
        if _LETTER_GOLD.fullmatch(gold):
            letter = _LETTER_ANSWER.fullmatch(unwrap_text(pred))
            return letter is not None and letter.group(1).upper() == gold
        if pred == gold:
            return True
        if self.integers_as_numbers and _INT.fullmatch(pred) and _INT.fullmatch(gold):
            return _same_integer(pred, gold)
        return None

    def equal(self, pred: str | None, gold: str) -> bool:
        """Whether `pred` means `gold`. Never raises: any failure inside a rule grades the item wrong."""
        try:
            quick = self.quick(pred, gold)
            if quick is not None or pred is None:
                return bool(quick)
            pred, gold = pred.strip(), gold.strip()
            if len(pred) > MAX_COMPARED_CHARS or len(gold) > MAX_COMPARED_CHARS:
                return _same_number_or_text(pred, gold)
            return bool(self.compare(pred, gold))
        except Exception:  # sympy and math-verify raise on odd input (and RecursionError): wrong
            return False

    def warm_up(self) -> None:
        """Import the heavy libraries now, so that the first item's time limit is not spent on it."""
        import importlib

        for module in self.modules:
            importlib.import_module(module)


def _same_integer(a: str, b: str) -> bool:
    """Integer equality on the digits: `int()` refuses more than 4,300 digits (sys.int_info)."""
    sign_a, digits_a = a.startswith("-"), a.lstrip("-").lstrip("0")
    sign_b, digits_b = b.startswith("-"), b.lstrip("-").lstrip("0")
    return digits_a == digits_b and (sign_a == sign_b or not digits_a)


def _same_number_or_text(pred: str, gold: str) -> bool:
    try:
        return Decimal(pred.replace(",", "")) == Decimal(gold.replace(",", ""))
    except (InvalidOperation, ValueError):
        return pred == gold


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


def math_verify_equal(pred: str, gold: str) -> bool:
    """math-verify's verdict, gold first, once dollar amounts are plain numbers."""
    from math_verify import verify

    pred, gold = plain_amount(pred), plain_amount(gold)
    if pred == gold:
        return True
    if not (affordable_to_parse(pred) and affordable_to_parse(gold)):
        return False
    return bool(verify(_parsed(gold), _parsed(pred)))


graders: Registry[Grader] = Registry("grader")
graders.add(
    "math-verify",
    Grader(
        "math-verify",
        extract_expression,
        math_verify_equal,
        integers_as_numbers=True,
        modules=("sympy", "latex2sympy2_extended", "math_verify"),
    ),
)
graders.add(
    "qwen25-math",
    Grader(
        "qwen25-math",
        extract_qwen_answer,
        qwen_equal,
        integers_as_numbers=False,  # the toolkit calls 5 equal to 500 (gold*100): sympy-free, but its rule
        modules=("sympy", "latex2sympy2_extended"),
    ),
)


def get_grader(name: str) -> Grader:
    """The grader called `name`; a ConfigError naming the nearest ones when there is none."""
    return graders.get(name)
