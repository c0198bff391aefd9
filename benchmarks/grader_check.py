"""The graders against the paper's benchmarks themselves: each reference solution graded against its
own gold answer and against another problem's (a seeded derangement), by each grader, and how often
the graders agree.

    python benchmarks/grader_check.py --data-dir ../shared/data/benchmarks [--names math500,gsm8k]
        [--graders math-verify,qwen25-math]

MATH, MATH-500, Minerva-Math, GSM8K and AIME24 solutions end in their answer and are graded like
model outputs (`extract_answer`, by each grader's own rules); OlympiadBench's are proofs, graded by
the answers they state (`cft_lib/eval/stated_answers.py`). The pairs and the reading are those of
`paper_benchmarks.check_references`; the verdicts are kept per item here so that the graders can be
compared item by item. Prints one Markdown row per benchmark; no assertion (the thresholds live in
tests/eval/test_paper_benchmarks.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cft_lib.eval.graders import GRADERS
from cft_lib.eval.grading import DEFAULT_TIMEOUT_S, SafeGrader, extract_answer
from cft_lib.eval.paper_benchmarks import PAPER_BENCHMARKS, shuffled_pairs
from cft_lib.eval.stated_answers import states_answer


def verdicts(name: str, data_dir: Path, seed: int, grader: str) -> list[bool]:
    """`grader`'s verdict on every (own) pair, then on every (another's gold) pair, as check_references grades them."""
    benchmark = PAPER_BENCHMARKS[name]
    pairs = benchmark.references(data_dir)
    safe = SafeGrader(DEFAULT_TIMEOUT_S, grader)
    try:

        def correct(solutions: tuple[str, ...], gold: str) -> bool:
            if benchmark.reference_style == "stated":
                return states_answer(solutions, gold, safe.equivalent)
            return safe.equivalent(extract_answer("\n".join(solutions), benchmark.answer_type, grader), gold)

        return [correct(s, g) for s, g in pairs] + [correct(s, g) for s, g in shuffled_pairs(pairs, seed)]
    finally:
        safe.close()


def main() -> None:
    with_references = [name for name, b in PAPER_BENCHMARKS.items() if b.reference is not None]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="<data_dir>/<name>/test.jsonl layout")
    parser.add_argument("--names", default=",".join(with_references), help="comma-separated benchmarks")
    parser.add_argument("--graders", default=",".join(GRADERS), help="comma-separated graders")
    parser.add_argument("--seed", type=int, default=0, help="seed of the derangement for the 'other' column")
    args = parser.parse_args()
    graders = args.graders.split(",")
    header = ["benchmark", "reference style", "n"]
    header += [f"{g} {column}" for g in graders for column in ("own gold", "another's gold")]
    header += ["agreement"] if len(graders) == 2 else []
    print("| " + " | ".join([*header, "seconds"]) + " |")
    print("|" + "---|" * (len(header) + 1))
    for name in args.names.split(","):
        started = time.perf_counter()
        grades = {grader: verdicts(name, args.data_dir, args.seed, grader) for grader in graders}
        n = len(next(iter(grades.values()))) // 2
        row = [name, PAPER_BENCHMARKS[name].reference_style, str(n)]
        for grader in graders:
            row += [f"{sum(grades[grader][:n]) / n:.1%}", f"{sum(grades[grader][n:]) / n:.1%}"]
        if len(graders) == 2:
            first, second = grades.values()
            row.append(f"{sum(a == b for a, b in zip(first, second, strict=True)) / (2 * n):.1%}")
        print("| " + " | ".join([*row, f"{time.perf_counter() - started:.0f}"]) + " |", flush=True)


if __name__ == "__main__":
    main()
