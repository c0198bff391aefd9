"""How the official CFT run reads a letter out of GPQA and MMLU-Pro outputs.

These replace the generic multiple-choice extraction (grading.extract_choice) for the two benchmarks
the paper reports with the authors' own scripts (TIGER-AI-Lab/CritiqueFineTuning @ 44b83b8; Table 3),
because the rules differ in ways that move scores: which "answer is" counts (the first or the
last), whether a lone lower-case "a" counts as option A, and whether an output without a letter
scores a random guess.

- GPQA (`tools/evaluate_gpqa/utils.py` answer_clean, as run_open.py calls it): split on "The answer
  is:" / "The answer is" / "the answer is"; after a trigger take the first A-D in the rest, else the
  last A-D anywhere. Letters are looked for in the upper-cased text, so the word "a" counts as A,
  as in the official run. A trigger written more than once is read as an echoed few-shot prompt:
  only the first paragraph is kept. No letter: no prediction (scored wrong).
- MMLU-Pro (`tools/evaluate_mmlu-pro/evaluate_from_local.py`): the first "answer is (X)", else
  the last "Answer: X" of the first line that has one, else the last lone letter A-J. No
  prediction: a seeded guess (`mmlu_pro_guess`), counted as the official script counts it.
Every rule takes linear time in the output's length: extraction runs in the evaluating process
with no time limit (eval/extraction.py explains why that matters).
"""

from __future__ import annotations

import random
import re

from cft_lib.eval.protocol import MMLU_PRO_GUESS_SEED

OPTION_LETTERS = "ABCDEFGHIJ"

GPQA_TRIGGERS = ("The answer is:", "The answer is", "the answer is")
_GPQA_SPLIT_RE = re.compile("|".join(re.escape(t) for t in GPQA_TRIGGERS))
_GPQA_LETTER_RE = re.compile(r"\b([ABCD])\b")


def gpqa_choice(output: str) -> str | None:
    """GPQA's letter as the official answer_clean reads it (see the module docstring)."""
    text = output.strip("\n")
    if any(text.count(trigger) > 1 for trigger in GPQA_TRIGGERS):
        text = text.split("\n\n")[0]
    parts = _GPQA_SPLIT_RE.split(text)
    letters = _GPQA_LETTER_RE.findall(parts[-1].upper())
    if not letters:
        return None
    return letters[0] if len(parts) > 1 else letters[-1]


_MMLU_PRO_STATED_RE = re.compile(r"answer is \(?([A-J])\)?")
_MMLU_PRO_COLON_RE = re.compile(r"[aA]nswer:\s*([A-J])")
_ANSWER_COLON_RE = re.compile(r"[aA]nswer:")
_LONE_LETTER_RE = re.compile(r"\b[A-J]\b")


def mmlu_pro_choice(output: str) -> str | None:
    """MMLU-Pro's letter as the official extract_answer reads it (see the module docstring).

    The official second and third regexes (`.*[aA]nswer:\\s*([A-J])`, and `\\b[A-J]\\b(?!.*\\b[A-J]\\b)`
    with DOTALL) take quadratic time on a long line; these are linear rewrites with the same answers:
    the last "Answer: X" of the first line holding one, and the last lone letter.
    """
    stated = _MMLU_PRO_STATED_RE.search(output)
    if stated:
        return stated.group(1)
    found: re.Match[str] | None = None
    found_line = line = position = 0
    for colon in _ANSWER_COLON_RE.finditer(output):
        line += output.count("\n", position, colon.start())
        position = colon.start()
        if found is not None and line > found_line:
            break
        match = _MMLU_PRO_COLON_RE.match(output, colon.start())
        if match:
            found, found_line = match, line
    if found is not None:
        return found.group(1)
    letters = _LONE_LETTER_RE.findall(output)
    return letters[-1] if letters else None


def mmlu_pro_guess(n_options: int) -> str:
    """The letter the official script scores for an output without a prediction.

    It re-seeds Python's global generator with 12345 before every such item and draws
    randint(0, n_options - 1), so the guess depends only on the number of options: this is the same
    draw, made on a private generator so nothing else in the process shifts it.
    """
    return OPTION_LETTERS[random.Random(MMLU_PRO_GUESS_SEED).randint(0, n_options - 1)]
