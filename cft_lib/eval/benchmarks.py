"""Benchmarks as data behind a registry: where the items come from, and a version.

The version enters every evaluation fingerprint: bump it whenever a change can move scores.
Micro-world benchmarks are generated (cft_lib.data.sources); the paper's benchmarks come later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cft_lib.data.microworld import WORLD_VERSION
from cft_lib.data.records import BenchmarkItem
from cft_lib.data.sources import load_micro_critique_split, load_micro_split, micro_splits
from cft_lib.registry import Registry


@dataclass(frozen=True)
class Benchmark:
    name: str
    version: str
    load: Callable[[int | None], list[BenchmarkItem]]
    prompt: str = "qwen25-math-cot"
    answer_type: str = "expression"  # expression (last \\boxed{}) | verdict ("Conclusion: right/wrong")


benchmarks: Registry[Benchmark] = Registry("benchmark")
# The micro benchmarks' version is the micro-world's: world 2 (a closed fact table, distractors, new
# splits) changed every item. Grading version 2 of the paper benchmarks (unwrapping \text{...}) moves
# no micro score: the tiny models' word-level vocabulary has no \text or \textbf token.
for _name in micro_splits:
    benchmarks.add(_name, Benchmark(_name, WORLD_VERSION, lambda limit, _n=_name: load_micro_split(_n, limit)))

benchmarks.add("micro-critique", Benchmark("micro-critique", WORLD_VERSION, load_micro_critique_split,
                                           answer_type="verdict"))

def benchmark_versions(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """name -> version, for evaluation fingerprints: bumping a version re-runs its evaluations."""
    return {name: benchmarks.get(name).version for name in names}


MICRO_VALIDATION = "micro-val"

# The paper's benchmarks register themselves on import (they need the registry above).
from cft_lib.eval import paper_benchmarks  # noqa: E402, F401
