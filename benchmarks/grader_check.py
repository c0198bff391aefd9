"""The graders against the paper's benchmarks themselves: each reference solution graded against its
own gold answer and against another problem's (a seeded derangement), by each grader, and how often
the graders agree.

    python benchmarks/grader_check.py --data-dir ../shared/data/benchmarks [--names math500,gsm8k]
        [--graders math-verify,qwen25-math]

MATH, MATH-500, Minerva-Math, GSM8K and AIME24 solutions end in their answer and are graded like
model outputs (`extract_answer`, by each grader's own rules); OlympiadBench's are proofs, graded by
the answers they state (`cft_lib/eval/stated_answers.py`). The pairs and the reading are those of
`paper_benchmarks.check_references`, which keeps each item's verdict, so that the graders can be
compared item by item. Prints one Markdown row per benchmark; no assertion (the thresholds live in
tests/eval/test_paper_benchmarks.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cft_lib.eval.graders import GRADERS
from cft_lib.eval.paper_benchmarks import PAPER_BENCHMARKS, check_references


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
        checks = [check_references(name, args.data_dir, seed=args.seed, grader=grader) for grader in graders]
        n = checks[0].n
        row = [name, PAPER_BENCHMARKS[name].reference_style, str(n)]
        for check in checks:
            row += [f"{check.own:.1%}", f"{check.other:.1%}"]
        if len(checks) == 2:
            first, second = (c.own_verdicts + c.other_verdicts for c in checks)
            row.append(f"{sum(a == b for a, b in zip(first, second, strict=True)) / (2 * n):.1%}")
        print("| " + " | ".join([*row, f"{time.perf_counter() - started:.0f}"]) + " |", flush=True)


if __name__ == "__main__":
    main()
