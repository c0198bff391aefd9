"""A spec's `sweep:` section: validated with file and key, tuned cells fingerprinted apart, trials
resolved as `--set` would resolve them, and a resumed study sampling what an uninterrupted one would."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cft_lib.ablation.specs import find_spec, load_ablation, trial_cell
from cft_lib.errors import SpecError


def _spec(tmp_path: Path, sweep: dict) -> Path:
    data = yaml.safe_load(find_spec("lr_sweep").read_text()) | {"sweep": sweep}
    path = tmp_path / "swept.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_lr_sweep_tunes_the_named_cells_with_one_budget():
    ablation = load_ablation("lr_sweep")
    tuned = {c.label: c for c in ablation.cells if c.sweep is not None}
    assert set(tuned) == {"SFT-verified (tuned)", "SFT-teacher (tuned)", "CFT (tuned)"}
    assert {c.sweep.trials for c in tuned.values()} == {8}  # every method the same budget
    plain = {c.label: c for c in ablation.cells if c.sweep is None}
    for label, cell in tuned.items():
        twin = plain[label.removesuffix(" (tuned)")]
        assert cell.train == twin.train  # the same untuned training ...
        assert cell.fingerprint != twin.fingerprint  # ... but another cell: its model is the best trial's
    table2 = {c.fingerprint for c in load_ablation("sft_vs_cft").cells}
    assert {c.fingerprint for c in plain.values()} <= table2  # the untuned cells are Table 2's, run once


def test_a_trial_is_the_cell_at_the_sampled_values():
    ablation = load_ablation("lr_sweep")
    cell = next(c for c in ablation.cells if c.label == "CFT (tuned)")
    variant = trial_cell(ablation, cell, {"train.learning_rate": 1e-4})
    assert variant.sweep is None and variant.train.train.learning_rate == 1e-4
    assert variant.train.fingerprint != cell.train.fingerprint
    assert variant.train.data == cell.train.data  # the same records: only the swept key moved


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ({"params": {"train.learning_rte": {"log_uniform": [1e-5, 1e-3]}}, "trials": 2}, "learning_rte"),
        ({"params": {"eval.max_new_tokens": {"int": [64, 128]}}, "trials": 2}, "is not a training key"),
        ({"params": {"train.learning_rate": {"log_uniform": [1e-3, 1e-5]}}, "trials": 2}, "low bound"),
        ({"params": {"train.learning_rate": {"uniform": [0, 1], "int": [1, 2]}}, "trials": 2}, "exactly one"),
        ({"params": {"train.learning_rate": {"log_uniform": [1e-5, 1e-3]}}, "trials": 2, "cells": ["CTF"]}, "CTF"),
        ({"params": {"train.lr_scheduler": {"choice": ["cosine", "no-such"]}}, "trials": 2}, "lr_scheduler"),
    ],
)
def test_a_bad_sweep_names_the_file_and_key(tmp_path, sweep, message):
    path = _spec(tmp_path, sweep)
    with pytest.raises(SpecError) as error:
        load_ablation(str(path))
    assert message in str(error.value) and "sweep" in str(error.value)


def test_a_resumed_study_samples_what_an_uninterrupted_one_would(tmp_path):
    """The sampler is seeded by the count of finished trials, so the next trial depends on the history only."""
    import math

    import optuna

    from cft_lib.ablation.sweep import _sampler, _suggest

    sweep = load_ablation("lr_sweep").cells[-1].sweep
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:  # a smooth stand-in for validation accuracy
        return -abs(math.log10(_suggest(trial, *sweep.params[0])) + 3.5)

    def run(storage: str, stops: list[int]) -> list[float]:
        for stop in stops:  # a new study object per segment, as a rerun after a kill makes
            study = optuna.create_study(study_name="s", storage=storage, direction="maximize", load_if_exists=True)
            while len(study.trials) < stop:
                study.sampler = _sampler(sweep, len(study.trials))
                study.optimize(objective, n_trials=1)
        return [t.params["train.learning_rate"] for t in study.trials]

    whole = run(f"sqlite:///{tmp_path / 'a.db'}", [6])
    resumed = run(f"sqlite:///{tmp_path / 'b.db'}", [2, 4, 6])
    assert whole == resumed
    assert len(set(whole)) == 6  # and the trials differ from one another


def test_a_profile_sweep_tunes_every_training_cell_and_its_trials_resolve():
    sweep = {"params": {"train.learning_rate": {"log_uniform": [1e-5, 1e-3]}}, "trials": 4}
    ablation = load_ablation("teacher_model", overrides={"sweep": sweep})
    assert all(c.sweep is not None and c.sweep.trials == 4 for c in ablation.cells if c.train is not None)
    variant = trial_cell(ablation, ablation.cells[-1], {"train.learning_rate": 2e-4})
    assert variant.sweep is None and variant.train.train.learning_rate == 2e-4
