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
    # stop strings of this benchmark's official run (eval/protocol.py), added to the configured ones
    # for its items only
    stop: tuple[str, ...] = ()
    # the benchmark's own reading of an output, used instead of answer_type's (GPQA and MMLU-Pro: the
    # official scripts', eval/choice_extraction.py); None when nothing is found
    extract: Callable[[str], str | None] | None = None
    # the answer scored when extraction finds none (MMLU-Pro: the official seeded guess); None: none
    guess: Callable[[BenchmarkItem], str] | None = None


benchmarks: Registry[Benchmark] = Registry("benchmark")
