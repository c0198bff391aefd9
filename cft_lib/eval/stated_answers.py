"""The answers a worked reference solution states: for checking gold rules and the grader against
benchmarks whose reference solutions are proofs (OlympiadBench) rather than ending in \\boxed{}.

Model outputs are never graded this way; they are graded on their final answer
(`grading.extract_answer`). A proof has no final answer line, but olympiad solutions mark their
answer by convention, and those places are where this reader looks:
- bold: ARML and CEMC solutions set the answer in bold, digits spaced (`\\mathbf{1 0 9}`);
- the first sentence: shortlist solutions open by stating the answer ("... in 2 but not fewer moves");
- the last stating sentence (closing remarks in parentheses and figures skipped);
- "the answer is ...".
The candidates are the values written there (each math span, its right-hand side, the items of a
list, plain numbers). A solution states a gold answer when every part of the gold (top-level
comma-separated) equals one of the candidates. Reading more places finds more answers but also
more coincidences (a small integer in another problem's text); these four keep a solution paired
with another problem's gold at about 1% on OlympiadBench (tests/eval/test_paper_benchmarks.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_BOLD = re.compile(r"\\(?:mathbf|textbf|boldsymbol)\{([^{}]*)\}")
_SPACED_DIGITS = re.compile(r"(?<=\d)\s+(?=\d)")
_SPACED_DECIMAL = re.compile(r"(?<=\d) \. (?=\d)")
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]", re.DOTALL)
_MATH_OR_TEXT = re.compile(r"(\$\$.+?\$\$|\$.+?\$)", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_RELATION = re.compile(r"=|\\equiv|\\approx|\\leq?slant|\\geq?slant|\\le\b|\\ge\b|<|>")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{[a-zA-Z*]+\}")
_TEXT_PERIOD = re.compile(r"\\text\s*\{\s*\.?\s*\}")
_LINE_BREAK = re.compile(r"\\\\")
_TOP_LEVEL_COMMA = re.compile(r",(?![^()\[\]{}]*[)\]}])")
_ANSWER_CUE = re.compile(r"answer is|answer:|the answer\b", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _unbold(text: str) -> str:
    text = _SPACED_DECIMAL.sub(".", text)
    return _BOLD.sub(lambda m: _SPACED_DIGITS.sub("", m.group(1)), text)


def _sentences(text: str) -> list[str]:
    """Sentences, never split inside a math span."""
    sentences, current = [], ""
    for piece in _MATH_OR_TEXT.split(text):
        if piece.startswith("$"):
            current += piece
            continue
        parts = _SENTENCE_END.split(piece)
        for index, part in enumerate(parts):
            current += part
            if index < len(parts) - 1:
                sentences.append(current)
                current = ""
    sentences.append(current)
    return [s.strip() for s in sentences if s.strip()]


def _math_spans(text: str) -> list[str]:
    return [(m.group(1) or m.group(2) or m.group(3)).strip() for m in _MATH.finditer(text)]


def _values(span: str) -> list[str]:
    """A math span as written, its last line's right-hand side, and that side's list items."""
    span = _TEXT_PERIOD.sub("", _ENVIRONMENT.sub("", span)).strip().rstrip(".").strip()
    span = _LINE_BREAK.split(span)[-1].strip().rstrip(".,").strip()
    values = [span]
    sides = _RELATION.split(span)
    if len(sides) > 1:
        values.append(sides[-1].strip())
    items = [item.strip() for item in _TOP_LEVEL_COMMA.split(values[-1]) if item.strip()]
    return values + items if len(items) > 1 else values


def _candidates(sentence: str) -> list[str]:
    values = [v for span in _math_spans(sentence) for v in _values(span)]
    return values + [n.replace(",", "") for n in _NUMBER.findall(_MATH.sub(" ", sentence))]


def stated_answers(solution: str) -> list[str]:
    """Candidate answers in the places an olympiad solution states its answer (module docstring)."""
    sentences = _sentences(_unbold(solution))
    if not sentences:
        return []
    candidates = [v for span in _math_spans(solution) if _BOLD.search(span) for v in _values(_unbold(span))]
    candidates += _candidates(sentences[0])
    stating = [s for s in sentences if not s.startswith(("(", "<img"))]
    if stating:
        candidates += _candidates(stating[-1])
    for sentence in sentences:
        cue = _ANSWER_CUE.search(sentence)
        if cue:
            candidates += _candidates(sentence[cue.start() :])
    return [c for c in dict.fromkeys(candidates) if c]


def gold_parts(gold: str) -> list[str]:
    """A gold answer's top-level comma-separated parts ("(1,1), (3,2)" has two), dollars stripped."""
    return [part.strip().strip("$").strip() for part in _TOP_LEVEL_COMMA.split(gold) if part.strip("$ ")]


def states_answer(solutions: Sequence[str], gold: str, equivalent: Callable[[str, str], bool]) -> bool:
    """Whether the solutions, together, state every part of `gold` (`equivalent(pred, gold)`)."""
    parts = gold_parts(gold)
    candidates = list(dict.fromkeys(c for solution in solutions for c in stated_answers(solution)))
    return bool(parts) and all(any(equivalent(c, part) for c in candidates) for part in parts)
