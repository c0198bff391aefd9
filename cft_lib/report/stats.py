"""Uncertainty for report tables: bootstrap CIs over problems and seeds, and paired differences.

A cell's score on a benchmark is a matrix of outcomes, one row per seed (training run) and one
column per problem; every cell of a spec is scored on the same problems. A bootstrap replicate
resamples the problems (the same resample for every cell, which pairs the comparisons) and, for
each cell, its seeds; any statistic - an accuracy, an average over benchmarks, CFT minus the best
SFT (the best chosen inside each replicate) - is recomputed on every replicate, and its 95% CI
is the 2.5-97.5 percentile range. Ratios with a subset denominator (a catch rate over the wrong
responses only) are pooled ratios: sum of numerators over sum of denominators.

Deterministic: the resampling seed is fixed, so the same store gives the same report.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

REPLICATES = 2000
SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% CI, in the units given (percent in reports)."""

    value: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def scaled(self, factor: float) -> Estimate:
        return Estimate(self.value * factor, self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Outcomes:
    """Per-seed, per-item numerators and denominators (denominator 1 for plain accuracy)."""

    values: np.ndarray  # (seeds, items)
    weights: np.ndarray  # (seeds, items), 0 where an item does not count for this measure

    @classmethod
    def of(cls, rows: list[list[float]], weights: list[list[float]] | None = None) -> Outcomes:
        values = np.asarray(rows, dtype=float)
        if weights is None:
            return cls(values, np.ones_like(values))
        weight = np.asarray(weights, dtype=float)
        return cls(np.where(weight > 0, values, 0.0), weight)  # an item that does not count adds nothing

    @property
    def point(self) -> float:
        """Mean over seeds of each seed's pooled ratio."""
        per_seed = self.values.sum(axis=1) / np.maximum(self.weights.sum(axis=1), 1e-12)
        return float(per_seed.mean())


class Bootstrap:
    """Shared problem resamples for one benchmark (or item set), seed resamples drawn per cell."""

    def __init__(self, items: int, replicates: int = REPLICATES, seed: int = SEED, stream: str = "") -> None:
        self.rng = np.random.default_rng([seed, _stable_hash(stream)])
        self.items = self.rng.integers(0, items, size=(replicates, items))
        self.replicates = replicates

    def replicate(self, outcomes: Outcomes, seeds: np.ndarray | None = None) -> np.ndarray:
        """The measure on every replicate: (replicates,). `seeds` (replicates, n_seeds) are the
        seed resamples to use; pass the same ones for every benchmark of one cell."""
        n_seeds = outcomes.values.shape[0]
        numerators = outcomes.values[:, self.items].sum(axis=2)  # (seeds, replicates)
        denominators = outcomes.weights[:, self.items].sum(axis=2)
        per_seed = numerators / np.maximum(denominators, 1e-12)
        if n_seeds == 1:
            return per_seed[0]
        if seeds is None:
            seeds = seed_resamples(n_seeds, self.replicates, self.rng)
        return np.take_along_axis(per_seed.T, seeds, axis=1).mean(axis=1)


def seed_resamples(
    n_seeds: int, replicates: int = REPLICATES, rng: np.random.Generator | None = None, stream: str = ""
) -> np.ndarray:
    """Which seeds each replicate takes: (replicates, n_seeds) indices drawn with replacement."""
    rng = rng or np.random.default_rng([SEED, _stable_hash("seeds:" + stream)])
    return rng.integers(0, n_seeds, size=(replicates, n_seeds))


def interval(point: float, replicates: np.ndarray) -> Estimate:
    finite = replicates[np.isfinite(replicates)]
    if not finite.size or not math.isfinite(point):
        return Estimate(point, float("nan"), float("nan"))
    low, high = np.percentile(finite, [2.5, 97.5])
    return Estimate(point, float(low), float(high))


def estimate(outcomes: Outcomes, stream: str = "") -> Estimate:
    """A measure of one cell with its CI."""
    return interval(outcomes.point, Bootstrap(outcomes.values.shape[1], stream=stream).replicate(outcomes))


Statistic = Callable[[dict[str, float]], float]


def combined(benchmarks: dict[str, dict[str, Outcomes]], statistic: Statistic) -> Estimate:
    """A statistic of several cells over several benchmarks, with a paired bootstrap CI.

    `benchmarks` maps benchmark -> cell -> outcomes; `statistic` takes {"<benchmark>|<cell>":
    value} and returns a number (an average over benchmarks, a difference between cells, ...).
    """
    point = statistic({f"{b}|{c}": o.point for b, cells in benchmarks.items() for c, o in cells.items()})
    columns: dict[str, np.ndarray] = {}
    seeds: dict[str, np.ndarray] = {}  # one seed resample per cell, shared by its benchmarks
    for benchmark, cells in benchmarks.items():
        items = {o.values.shape[1] for o in cells.values()}
        if len(items) != 1:
            raise ValueError(f"{benchmark}: cells were scored on different numbers of problems: {sorted(items)}")
        boot = Bootstrap(items.pop(), stream=benchmark)
        for cell, outcomes in cells.items():
            n_seeds = outcomes.values.shape[0]
            if cell not in seeds or seeds[cell].shape[1] != n_seeds:
                seeds[cell] = seed_resamples(n_seeds, stream=cell)
            columns[f"{benchmark}|{cell}"] = boot.replicate(outcomes, seeds[cell])
    replicates = np.array([statistic({k: float(v[i]) for k, v in columns.items()}) for i in range(REPLICATES)])
    return interval(point, replicates)


def _stable_hash(text: str) -> int:
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % (2**31 - 1)
    return value
