"""The benchmark record and its registry: a leaf that every benchmark module registers into.

Nothing here imports the rest of cft_lib.eval, so grading, the micro-world benchmarks and the paper's
benchmarks can all depend on it without depending on each other. Import `cft_lib.eval.benchmarks`
to get the registry filled; this module alone holds an empty one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cft_lib.data.records import BenchmarkItem
from cft_lib.registry import Registry


@dataclass(frozen=True)
class Benchmark:
    """Where a benchmark's items come from, how they are prompted and graded, and its version.

    The version enters every evaluation fingerprint: bump it whenever a change can move scores.
    """

    name: str
    version: str
    load: Callable[[int | None], list[BenchmarkItem]]
    prompt: str = "qwen25-math-cot"  # a registered prompt template (eval/prompts.py)
    # how an output becomes an answer (grading.ANSWER_TYPES): expression (last \\boxed{}) | verdict
    # ("Conclusion: right/wrong") | multiple_choice (a letter)
    answer_type: str = "expression"


benchmarks: Registry[Benchmark] = Registry("benchmark")
