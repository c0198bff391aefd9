"""Every table of the paper has a spec; `--all` resolves them on both profiles and shares cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from cft_lib.ablation.specs import load_ablation
from cft_lib.ablation.suite import load_all, suite_counts
from cft_lib.cli import main
from cft_lib.errors import SpecError
from cft_lib.fingerprint import canonical

ROOT = Path(__file__).resolve().parents[2]
PAPER_TABLES = ["Table 2", "Table 3", "Table 4", "Table 5", "Table 6", "Table 7", "Table 8", "Table 9", "Figure 2"]


@pytest.mark.parametrize("profile", ["tiny", "paper"])
def test_all_specs_cover_every_table_and_share_cells(profile):
    ablations = load_all(profile)
    assert [a.spec.table for a in ablations] == PAPER_TABLES  # lr_sweep, beyond the paper, is run by name
    assert [a.spec.table for a in load_all(profile, extensions=True)][-1] == "Learning-rate sweep"
    assert all(a.spec.hypotheses for a in ablations)  # every report ends with a verdict
    counts = suite_counts(ablations)
    assert counts["unique_cells"] < counts["cells"]
    assert counts["trainings"] < counts["cells"]


def test_all_dry_run_prints_totals(capsys, session_home, store_uri):
    assert main(["ablation", "--all", "--dry-run", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    for table in PAPER_TABLES:
        assert table in out
    assert "cells in total" in out and "unique cell" in out and "unique trainings" in out


def test_spec_or_all_not_both(capsys, session_home):
    assert main(["ablation", "teacher_model", "--all", "--dry-run"]) == 2
    assert main(["report"]) == 2


def test_table2_binds_three_different_tiny_base_models():
    ablation = load_ablation("sft_vs_cft", "tiny")
    recipes = {c.choices["base_model"]: c.tiny_recipe for c in ablation.cells}
    assert len({r.fingerprint for r in recipes.values()}) == 3
    assert recipes["deepseek-math-7b"].architecture.hidden_size < recipes["qwen2.5-math-7b"].architecture.hidden_size
    assert recipes["qwen2.5-7b"].fact_exposures < recipes["qwen2.5-math-7b"].fact_exposures
    # Table 2's Qwen2.5-Math-7B CFT cell is the very cell of Table 8 (trained and evaluated once)
    table8 = {c.label: c.fingerprint for c in load_ablation("teacher_model", "tiny").cells}
    table2 = {c.label: c.fingerprint for c in ablation.cells}
    assert table2["Qwen2.5-Math-7B WebInstruct-CFT"] == table8["GPT-4o-1120"]


def test_table4_scales_its_data_size_and_uses_the_larger_base():
    cells = {c.label: c for c in load_ablation("models_32b", "tiny").cells}
    assert cells["Qwen2.5-32B-Instruct-CFT"].train.data.size == 160  # 4K of the paper's 50K -> 160 of 2,000
    paper = {c.label: c for c in load_ablation("models_32b", "paper").cells}
    assert paper["Qwen2.5-32B-Instruct-CFT"].train.data.size == 4000
    assert cells["Qwen2.5-32B-Instruct"].tiny_recipe.architecture.hidden_size == 96


def test_table9_cells_share_one_training_and_differ_in_inference():
    cells = load_ablation("self_critique", "tiny").cells
    assert len({c.train.fingerprint for c in cells}) == 1
    assert len({c.fingerprint for c in cells}) == 10
    two_stage = next(c for c in cells if c.label == "Two-stage T=0.3")
    assert two_stage.eval.inference.mode == "two-stage" and two_stage.eval.inference.max_attempts == 8
    assert two_stage.eval.generation.temperature == 0.3


def test_new_knobs_at_their_default_leave_fingerprints_alone():
    """Cells that do not use self-critique or training curves keep the fingerprints they had before."""
    cell = next(c for c in load_ablation("teacher_model", "tiny").cells if c.label == "GPT-4o-1120")
    assert "inference" not in canonical(cell.eval)
    assert "curve" not in canonical(cell.train)
    figure = next(c for c in load_ablation("training_dynamics", "tiny").cells if c.label == "CFT")
    assert canonical(figure.train)["curve"]["benchmarks"] == ["micro-medium"]
    assert figure.train.fingerprint != cell.train.fingerprint


@pytest.mark.parametrize(
    "replacement, expected",
    [
        (
            "hypotheses:\n  - {claim: x, better: [GPT-4o-1121], worse: [SFT-verified]}\n",
            ["hypotheses[0].better", "GPT-4o-1121", "GPT-4o-1120"],
        ),
        (
            "hypotheses:\n  - {claim: x, better: [GPT-4o-1120], worse: [SFT-verified], benchmark: MATH5}\n",
            ["hypotheses[0].benchmark", "MATH5"],
        ),
        ("references: [GPT-4o-mini]\nhypotheses: []\n", ["references", "also a cell"]),
    ],
)
def test_table_parts_name_only_what_the_spec_has(tmp_path, replacement, expected):
    text = (ROOT / "ablations" / "teacher_model.yaml").read_text()
    text = text[: text.index("hypotheses:")] + replacement
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as error:
        load_ablation(str(path), "tiny")
    for piece in expected:
        assert piece in str(error.value)
