"""Grading worker: reads [pred, gold] JSON lines on stdin, writes true/false lines on stdout.

Started and, when an item runs past its time limit, killed by grading.SafeGrader.
"""

import json
import sys

from cft_lib.eval.grading import _math_verify


def main() -> None:
    for line in sys.stdin:
        pred, gold = json.loads(line)
        sys.stdout.write(json.dumps(_math_verify(pred, gold)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
