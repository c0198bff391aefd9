"""Bootstrap CIs: they cover what they should, pair what they should, and widen with seed spread."""

import numpy as np

from cft_lib.report.stats import Outcomes, estimate
from cft_lib.report.tables import Replicates


def _bernoulli(p: float, n: int, seed: int) -> list[float]:
    return list((np.random.default_rng(seed).random(n) < p).astype(float))


def test_accuracy_ci_covers_the_truth_about_95_percent_of_the_time():
    covered = 0
    for trial in range(100):
        ci = estimate(Outcomes.of([_bernoulli(0.4, 200, trial)]), stream=str(trial))
        covered += ci.low <= 0.4 <= ci.high
    assert 88 <= covered <= 100  # ~95 of 100, allowing for the randomness of the check itself


def test_constant_outcomes_have_a_zero_width_ci():
    ci = estimate(Outcomes.of([[1.0] * 50]))
    assert (ci.value, ci.low, ci.high) == (1.0, 1.0, 1.0)


def test_paired_difference_sees_a_small_consistent_gain_that_unpaired_noise_would_hide():
    base = _bernoulli(0.5, 400, 1)
    better = list(base)
    flipped = 0
    for i, v in enumerate(base):  # the better model fixes 25 of the base's failures, changes nothing else
        if v == 0 and flipped < 25:
            better[i], flipped = 1.0, flipped + 1
    reps = Replicates({"b": {"base": Outcomes.of([base]), "better": Outcomes.of([better])}})
    delta = reps.estimate(lambda get: get("b", "better") - get("b", "base"))
    assert abs(delta.value - 25 / 400) < 1e-9 and delta.excludes_zero
    same = reps.estimate(lambda get: get("b", "base") - get("b", "base"))
    assert (same.low, same.high) == (0.0, 0.0)


def test_seed_spread_widens_the_interval():
    problems = _bernoulli(0.5, 300, 2)
    agreeing = Outcomes.of([problems, problems, problems])
    noisy = Outcomes.of([_bernoulli(0.3, 300, 3), _bernoulli(0.5, 300, 4), _bernoulli(0.7, 300, 5)])
    narrow, wide = estimate(agreeing), estimate(noisy)
    assert (wide.high - wide.low) > 1.5 * (narrow.high - narrow.low)


def test_pooled_ratios_count_only_their_subset():
    values, weights = [[1.0, 0.0, 1.0, 0.0]], [[1.0, 1.0, 0.0, 0.0]]  # two items count; one of them scores
    assert Outcomes.of(values, weights).point == 0.5
