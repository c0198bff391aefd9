"""Answer extraction and equivalence: the part of evaluation that decides the paper's comparisons.

Extraction, grading and aggregation are separate steps. Extraction takes the last \\boxed{...}
(balanced braces); equivalence uses math-verify with the gold answer first, after a fast path
for plain integers (every micro-world answer), which math-verify would call equal anyway.
"""

from __future__ import annotations

import re

_INT_RE = re.compile(r"-?\d+")


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} in `text`, braces balanced; None if there is none."""
    start = text.rfind("\\boxed")
    while start != -1:
        brace = text.find("{", start)
        if brace != -1 and text[start + len("\\boxed"):brace].strip() == "":
            depth = 0
            for index in range(brace, len(text)):
                depth += {"{": 1, "}": -1}.get(text[index], 0)
                if depth == 0:
                    return text[brace + 1:index].strip()
        start = text.rfind("\\boxed", 0, start)
    return None


def extract_answer(text: str, benchmark: str | None = None) -> str | None:
    """The model's final answer in `text`: the last boxed expression, or for verdict benchmarks
    (micro-critique) "right"/"wrong" from the critique's conclusion."""
    if benchmark is not None and _answer_type(benchmark) == "verdict":
        from cft_lib.teachers.base import parse_verdict

        verdict = parse_verdict(text)
        return None if verdict is None else ("right" if verdict else "wrong")
    return last_boxed(text)


def _answer_type(benchmark: str) -> str:
    from cft_lib.eval.benchmarks import benchmarks

    return benchmarks.get(benchmark).answer_type if benchmark in benchmarks else "expression"


def is_equivalent(pred: str | None, gold: str, benchmark: str | None = None) -> bool:
    """Whether `pred` means the same as `gold`."""
    if pred is None:
        return False
    pred, gold = pred.strip(), gold.strip()
    if gold in ("right", "wrong"):
        return pred == gold
    if _INT_RE.fullmatch(pred) and _INT_RE.fullmatch(gold):
        return int(pred) == int(gold)
    from math_verify import parse, verify  # heavy import: only when an answer is not a plain integer

    try:
        return bool(verify(parse(f"${gold}$"), parse(f"${pred}$")))
    except Exception:  # math-verify raises on malformed LaTeX: such an answer is simply not equal
        return False
