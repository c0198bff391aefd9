"""LaTeX helpers shared by data sources (reference answers) and grading (model answers)."""

from __future__ import annotations

import re

_BRACE = re.compile(r"[{}]")
_BOXED_OPEN = re.compile(r"\\boxed\s*\{")


def matched_braces(text: str, start: int = 0, end: int | None = None) -> dict[int, int]:
    """Index of each `{` in text[start:end] -> index of the `}` that closes it (unclosed ones absent)."""
    stack: list[int] = []
    closes: dict[int, int] = {}
    for brace in _BRACE.finditer(text, start, len(text) if end is None else end):
        if brace.group() == "{":
            stack.append(brace.start())
        elif stack:
            closes[stack.pop()] = brace.start()
    return closes


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} whose braces balance; None if there is none.

    Of the boxes that close, the one opened last, found in one pass over the braces: a model's output
    can hold thousands of unclosed `\\boxed{`, and rescanning to the end for each would be quadratic.
    """
    opens = [m.end() - 1 for m in _BOXED_OPEN.finditer(text)]
    if not opens:
        return None
    closes = matched_braces(text, opens[0])
    for brace in reversed(opens):
        if brace in closes:
            return text[brace + 1 : closes[brace]].strip()
    return None
