"""Critique skill: how well a model judges a micro-world solution, step by step.

The held-out critique set (`micro-critique`, data/sources.py) is balanced: half the responses
right, the rest split evenly over the four error kinds. Each critique is read back with the
critique format's parser (data/critiques.py) and scored against the truth, which is recomputed
from the prompt's question and response text:
- verdict accuracy, and the share of "right" verdicts (a critic that waves everything through
  scores ~50% with a right share near 100%);
- localisation: the first flagged step is the response's first wrong step (wrong responses);
- recompute accuracy: the critic's recomputed step values are the right ones (every step of the
  problem counts; a step the critique skips counts as not recomputed);
- catch rate per error kind, and false flags on right responses;
- no-verdict share (critiques without "Conclusion: right/wrong").
Per-item indicators go into the evaluation records, so reports can put CIs on every figure.
"""

from __future__ import annotations

from typing import Any

from cft_lib.data.critiques import ANSWER, parse_critique
from cft_lib.data.formats import parse_verdict
from cft_lib.data.microworld import correct_solution, parse_question, parse_solution
from cft_lib.data.noise import ERROR_KINDS, error_kind, first_error

PREFIX = "critique/"


def split_prompt(prompt: str) -> tuple[str, str] | None:
    """(question, response) of a CFT-format prompt; None if it is not one."""
    _, found, rest = prompt.partition("Question:\n")
    question, found_solution, response = rest.partition("\n\nSolution:\n")
    if not found or not found_solution:
        return None
    return question, response.rstrip("\n")


def score_critique(prompt: str, critique: str) -> dict[str, Any] | None:
    """Per-item indicators for one critique of the prompt's response (None if the prompt is not readable)."""
    parts = split_prompt(prompt)
    problem = parse_question(parts[0]) if parts else None
    if parts is None or problem is None:
        return None
    solution = parse_solution(parts[1])
    at = first_error(problem, solution)
    verdict = parse_verdict(critique)
    parsed = parse_critique(critique)
    values = correct_solution(problem).steps
    flag = parsed.first_flag
    if flag == ANSWER:
        flag = len(values) + 1
    return {
        "truth": "right" if at is None else "wrong",
        "kind": error_kind(problem, solution),
        "verdict": None if verdict is None else ("right" if verdict else "wrong"),
        "verdict_correct": verdict is not None and verdict == (at is None),
        "located": None if at is None else flag == at,
        "values_right": sum(parsed.values.get(i) == s.result for i, s in enumerate(values, start=1)),
        "values_total": len(values),
    }


def critique_metrics(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Aggregate per-item indicators into `critique/...` metrics, with the n behind each rate."""
    rows = [r for r in rows if r is not None]
    wrong = [r for r in rows if r["truth"] == "wrong"]
    right = [r for r in rows if r["truth"] == "right"]

    def share(items: list[dict[str, Any]], test) -> float:
        return sum(bool(test(r)) for r in items) / len(items) if items else float("nan")

    metrics = {
        "verdict_accuracy": share(rows, lambda r: r["verdict_correct"]),
        "right_share": share(rows, lambda r: r["verdict"] == "right"),
        "no_verdict_share": share(rows, lambda r: r["verdict"] is None),
        "localisation": share(wrong, lambda r: r["located"]),
        "recompute_accuracy": sum(r["values_right"] for r in rows) / max(1, sum(r["values_total"] for r in rows)),
        "false_flags": share(right, lambda r: r["verdict"] == "wrong"),
        "n": float(len(rows)),
        "n_wrong": float(len(wrong)),
        "n_right": float(len(right)),
    }
    for kind in ERROR_KINDS:
        mine = [r for r in wrong if r["kind"] == kind]
        metrics[f"catch_{kind}"] = share(mine, lambda r: r["verdict"] == "wrong")
        metrics[f"n_{kind}"] = float(len(mine))
    return {f"{PREFIX}{k}": v for k, v in metrics.items()}
