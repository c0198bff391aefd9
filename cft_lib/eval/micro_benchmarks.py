"""The micro-world benchmarks: generated splits (cft_lib.data.sources) registered by name.

The micro benchmarks' version is the micro-world's: world 2 (a closed fact table, distractors, new
splits) changed every item. Grading version 2 of the paper benchmarks (unwrapping \\text{...}) moves
no micro score: the tiny models' word-level vocabulary has no \\text or \\textbf token.
"""

from __future__ import annotations

import functools

from cft_lib.data.microworld import WORLD_VERSION
from cft_lib.data.sources import load_micro_critique_split, load_micro_split, micro_splits
from cft_lib.eval.benchmark_registry import Benchmark, benchmarks

MICRO_VALIDATION = "micro-val"  # the split that selects checkpoints during training

for _name in micro_splits:
    benchmarks.add(_name, Benchmark(_name, WORLD_VERSION, functools.partial(load_micro_split, _name)))

# held-out critiques of micro-world solutions, graded on the verdict (eval/critique_skill.py)
benchmarks.add(
    "micro-critique", Benchmark("micro-critique", WORLD_VERSION, load_micro_critique_split, answer_type="verdict")
)
