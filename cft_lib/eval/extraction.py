"""Answer extraction rules shared by the graders, each linear in the length of the output, and the
size limits both graders put on parsing.

A model output can be any text of any length, and extraction runs in the evaluating process with no
time limit, so no rule here may cost more than linear time. Each rule is the project's original
rule rewritten for that: `last_boxed` scans the braces once (`cft_lib.data.latex.last_boxed`
rescans to the end for every unclosed `\\boxed{`), `unwrap_text` matches braces once per answer
rather than once per wrapper, and the regexes use possessive quantifiers where two adjacent `\\s*`
would otherwise try every split of a long whitespace run (`parse_verdict`'s regex in
`cft_lib.data.formats` has that flaw; `verdict` below is its linear twin).
tests/eval/test_graders.py checks each against the original on random text.
"""

from __future__ import annotations

import re

from cft_lib.data.formats import parse_verdict
from cft_lib.data.latex import last_boxed, matched_braces  # noqa: F401  (re-exported: the graders' API)

VERDICTS = ("right", "wrong")
ANSWER_TYPES = ("expression", "verdict", "multiple_choice")  # a Benchmark's answer_type

_BRACKET = re.compile(r"[()\[\]{}]")


_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox)\s*\{")


def unwrap_text(answer: str) -> str:
    """`\\textbf{(073)}` -> `(073)`: a formatting command around the whole answer is not part of it.

    A wrapper is dropped while its brace stays open up to the answer's last character (a brace
    left unclosed inside counts as open, as it always has).
    """
    low, high = 0, len(answer)
    closes: dict[int, int] | None = None
    while high > low and answer[high - 1] == "}" and (match := _TEXT_WRAPPER.match(answer, low, high)):
        if closes is None:
            closes = matched_braces(answer)
        brace = match.end() - 1
        if closes.get(brace, high - 1) < high - 1:  # the wrapper closes before the end: not around all
            break
        low, high = brace + 1, high - 1
        while low < high and answer[low].isspace():
            low += 1
        while high > low and answer[high - 1].isspace():
            high -= 1
    return answer[low:high]


# 'Conclusion: right/wrong', as cft_lib.data.formats.parse_verdict reads it, with possessive
# quantifiers: its `\s*\**\s*` tries every split of a whitespace run that leads to no verdict.
def verdict(text: str) -> str | None:
    """'right' or 'wrong' from the last 'Conclusion: ...' line; None if there is none."""
    judged = parse_verdict(text)
    return None if judged is None else ("right" if judged else "wrong")


_CHOICE = re.compile(r"answer is:?\s*+\(?\s*+([A-J])\s*+\)?", re.IGNORECASE)
_LONE_LETTER = re.compile(r"\(([A-J])\)|\b([A-J])\b")
_BOXED_LETTER = re.compile(r"\(?([A-J])\)?")


def extract_choice(text: str) -> str | None:
    """The chosen letter: 'The answer is (X)', else a boxed letter, else the last lone (X) or X."""
    stated = _CHOICE.findall(text)
    if stated:
        return stated[-1].upper()
    boxed = unwrap_text(last_boxed(text) or "").strip()
    if boxed and (letter := _BOXED_LETTER.fullmatch(boxed)):
        return letter.group(1).upper()
    lone = _LONE_LETTER.findall(text)
    return next((a or b for a, b in reversed(lone)), None)


_DOLLAR_AMOUNT = re.compile(r"-?\\*\$\s*(-?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?)")
_DOLLARS_WORD = re.compile(r"\s*(?:\\(?:text|mbox|mathrm)\s*\{\s*dollars?\s*\}|dollars?)$")
_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")


def plain_amount(answer: str) -> str:
    """`\\$5`, `\\\\$5.00`, `$1,000`, `5 dollars`, `5\\text{ dollars}` -> the number; other answers as given."""
    text = answer.strip()
    tail = _DOLLARS_WORD.search(text[-24:])  # bounded: an end-anchored search rescans every start
    if tail:
        text = text[: len(text) - len(tail.group())].rstrip()
    dollar = _DOLLAR_AMOUNT.fullmatch(text)
    if dollar and any(c.isdigit() for c in dollar.group(1)):
        number = dollar.group(1)
        return f"-{number}" if text.startswith("-") and not number.startswith("-") else number
    if tail and _AMOUNT.fullmatch(text) and any(c.isdigit() for c in text):
        return text
    return answer


def minerva_answer(text: str) -> str | None:
    """X from Minerva's answer sentence 'Final Answer: The final answer is $X$. I hope it is correct.'

    As the Qwen2.5-Math toolkit reads it: from the first 'final answer is $' to the first '$. I hope'
    after it. None when the output has no such sentence.
    """
    head = text.find("final answer is $")
    if head == -1 or "$. I hope" not in text:
        return None
    rest = text[head + len("final answer is $") :]
    tail = rest.find("$. I hope")
    return (rest if tail == -1 else rest[:tail]).strip()


# 'The answer is X.' / 'final answer: X' up to the end of the sentence or line. Possessive `\s*+`:
# with plain `\s*`, a cue followed by a long blank run and no answer is quadratic.
_ANSWER_IS = re.compile(r"(?:final answer|the answer)\s*+(?:is|:)\s*+:?\s*+(.+?)(?:\.\s|\.$|\n|$)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")


def extract_expression(text: str) -> str | None:
    """The math-verify grader's rule: last balanced \\boxed{}, else Minerva's answer sentence, else
    'The answer is ...' / 'final answer is ...', else the last number (commas dropped)."""
    boxed = last_boxed(text)
    if boxed is not None:
        return unwrap_text(boxed)
    minerva = minerva_answer(text)
    if minerva is not None:
        return unwrap_text(minerva)
    stated = _ANSWER_IS.findall(text)
    if stated:
        return unwrap_text(stated[-1].strip().strip("$").strip())
    numbers = _NUMBER.findall(text)
    return numbers[-1].replace(",", "") if numbers else None


MAX_PARSED_CHARS = 2_000  # the longest gold of the paper's benchmarks has 210 characters
MAX_PARSED_DEPTH = 8  # bracket nesting; the golds of the paper's benchmarks reach 4


def affordable_to_parse(text: str) -> bool:
    """Whether sympy may parse `text`: latex2sympy's time grows about 1.5x per level of bare braces
    (2.7 s at depth 10 on one core), and it recurses on nesting."""
    if len(text) > MAX_PARSED_CHARS:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(text):
        depth = depth + 1 if bracket.group() in "([{" else max(depth - 1, 0)
        if depth > MAX_PARSED_DEPTH:
            return False
    return True
