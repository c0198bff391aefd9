"""The command line resolves the same config tree as the ablations: `cft train` for a cell of a spec
trains exactly that cell's model (same fingerprint), and its flags are profile overrides."""

from __future__ import annotations

from cft_lib.ablation.specs import load_ablation
from cft_lib.cli import _training_cell, build_parser


def _cell(*argv: str):
    args = build_parser().parse_args(["train", *argv])
    return _training_cell(args, args.method)


def test_cft_train_of_a_specs_cell_is_that_cell():
    spec_cell = next(c for c in load_ablation("teacher_model").cells if c.label == "GPT-4o-1120")
    cli_cell = _cell(
        "--method",
        "cft",
        "--base-model",
        "qwen2.5-math-7b",
        "--dataset",
        "webinstruct",
        "--teacher",
        "gpt-4o-2024-11-20",
    )
    assert cli_cell.train == spec_cell.train
    assert cli_cell.train.fingerprint == spec_cell.train.fingerprint


def test_flags_are_overrides_of_the_profile():
    cell = _cell(
        "--source",
        "micro-meta",
        "--size",
        "50",
        "--lr",
        "1e-3",
        "--teacher-error-rate",
        "0.2",
        "--set",
        "train.warmup_ratio=0.2",
    )
    train = cell.train
    assert train.data.source == "micro-meta" and train.data.size == 50
    assert train.train.learning_rate == 1e-3 and train.train.warmup_ratio == 0.2
    assert train.data.teacher.kind == "oracle" and train.data.teacher.error_rate == 0.2
    assert train.validation.benchmark == "micro-val"  # the profile's, as in every ablation cell
    default = _cell()
    assert default.train.data.source == "micro-web"  # the profile's first dataset (webinstruct)
    assert default.train.train.learning_rate == load_ablation("teacher_model").cells[0].train.train.learning_rate
    zero = _cell("--num-validations", "0", "--warmup-ratio", "0", "--num-processes", "2").train
    assert zero.train.num_validations == 0 and zero.train.warmup_ratio == 0  # a zero is a value, not "unset"
    assert zero.launch.num_processes == 2 and zero.launch.launched


def test_build_data_flags_reach_the_data_config_together():
    args = build_parser().parse_args(["build-data", "--variant", "cft", "--size", "60", "--keep-consistent"])
    data = _training_cell(args, args.variant).train.data
    assert data.size == 60 and data.keep_consistent and data.variant == "cft"
