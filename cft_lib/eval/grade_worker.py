"""Grading worker: reads [pred, gold] JSON lines on stdin, writes true/false lines on stdout.

    python -m cft_lib.eval.grade_worker --grader qwen25-math

Started and, when an item runs past its time limit, killed by grading.SafeGrader. Whatever a
grader does on one item, the worker answers and goes on: an exception is a wrong answer, and a
library that prints cannot corrupt the replies (stdout is handed to stderr while grading).
"""

from __future__ import annotations

import argparse
import json
import sys

from cft_lib.eval.graders import DEFAULT_GRADER, GRADERS, Grader, get_grader


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="grade [pred, gold] JSON lines from stdin")
    parser.add_argument("--grader", default=DEFAULT_GRADER, choices=GRADERS)
    grader = get_grader(parser.parse_args(argv).grader)
    replies, sys.stdout = sys.stdout, sys.stderr
    try:
        try:
            grader.warm_up()
        except Exception as error:  # a missing library: every item will be graded wrong; say why once
            print(f"grade_worker: {grader.name} could not load: {error!r}", file=sys.stderr)
        for line in sys.stdin:
            replies.write(json.dumps(_grade(grader, line)) + "\n")
            replies.flush()
    finally:
        sys.stdout = replies


def _grade(grader: Grader, line: str) -> bool:
    try:
        pred, gold = json.loads(line)
    except Exception:  # a malformed line must not end the worker (and the evaluation): wrong
        return False
    return grader.equal(pred, gold) if isinstance(pred, str) and isinstance(gold, str) else False


if __name__ == "__main__":
    main()
