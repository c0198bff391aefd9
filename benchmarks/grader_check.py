"""The grader against the paper's benchmarks themselves: each reference solution graded against its
own gold answer and against another problem's (a seeded derangement).

    python benchmarks/grader_check.py --data-dir ../shared/data/benchmarks [--names math500,gsm8k]

MATH, MATH-500, Minerva-Math, GSM8K and AIME24 solutions end in their answer and are graded like
model outputs (`extract_answer`); OlympiadBench's are proofs, graded by the answers they state
(`cft_lib/eval/stated_answers.py`). Prints one Markdown row per benchmark; no assertion (the
thresholds live in tests/eval/test_paper_benchmarks.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cft_lib.eval.paper_benchmarks import PAPER_BENCHMARKS, check_references


def main() -> None:
    with_references = [name for name, b in PAPER_BENCHMARKS.items() if b.reference is not None]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="<data_dir>/<name>/test.jsonl layout")
    parser.add_argument("--names", default=",".join(with_references), help="comma-separated benchmarks")
    parser.add_argument("--seed", type=int, default=0, help="seed of the derangement for the 'other' column")
    args = parser.parse_args()
    print("| benchmark | reference style | n | own gold | another's gold | seconds |")
    print("|---|---|---|---|---|---|")
    for name in args.names.split(","):
        started = time.perf_counter()
        check = check_references(name, args.data_dir, seed=args.seed)
        print(
            f"| {name} | {PAPER_BENCHMARKS[name].reference_style} | {check.n} | {check.own:.1%} "
            f"| {check.other:.1%} | {time.perf_counter() - started:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
