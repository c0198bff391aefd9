"""Benchmarks as data behind a registry: import this module to get every benchmark registered.

The record (`Benchmark`) and the registry live in the leaf eval/benchmark_registry.py; the
micro-world splits register in eval/micro_benchmarks.py and the paper's benchmarks in
eval/paper_benchmarks.py. This module imports all three, so `benchmarks` here is complete.
A benchmark's version enters every evaluation fingerprint: bump it whenever a change can move scores.
"""

from __future__ import annotations

from cft_lib.eval import paper_benchmarks  # noqa: F401  (registers the paper's benchmarks)
from cft_lib.eval.benchmark_registry import Benchmark, benchmarks
from cft_lib.eval.micro_benchmarks import MICRO_VALIDATION

__all__ = ["MICRO_VALIDATION", "Benchmark", "benchmark_versions", "benchmarks"]


def benchmark_versions(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """name -> version, for evaluation fingerprints: bumping a version re-runs its evaluations."""
    return {name: benchmarks.get(name).version for name in names}
