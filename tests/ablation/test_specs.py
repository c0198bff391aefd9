"""Every shipped spec validates against every profile; bad specs fail early, saying where and why."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cft_lib.ablation.specs import load_ablation
from cft_lib.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "ablations").glob("*.yaml"))
PROFILES = sorted((ROOT / "ablations" / "profiles").glob("*.yaml"))


def test_there_are_specs_and_profiles():
    assert {p.stem for p in PROFILES} >= {"tiny", "paper"}
    assert "teacher_model" in {p.stem for p in SPECS}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_shipped_spec_validates(spec, profile):
    ablation = load_ablation(str(spec), str(profile))
    assert ablation.cells
    assert len({c.fingerprint for c in ablation.cells}) == len(ablation.cells)
    for row, values in ablation.spec.paper.items():  # paper numbers refer to real rows and cells
        assert row in ablation.spec.benchmarks or row == "AVG"
        assert set(values) <= {c.label for c in ablation.cells} | set(ablation.spec.references)
    for hypothesis in ablation.spec.hypotheses:
        assert set(hypothesis.better + hypothesis.worse) <= {c.label for c in ablation.cells}


def test_teacher_model_cells_resolve_to_the_papers_comparison():
    ablation = load_ablation("teacher_model", "tiny")
    by_label = {c.label: c for c in ablation.cells}
    assert by_label["SFT-verified"].train.data.variant == "sft-verified"
    assert by_label["GPT-4o-mini"].train.data.teacher.error_rate == 0.3
    assert by_label["GPT-4o-1120"].train.data.teacher.error_rate == 0.1
    # the two CFT cells differ only in their teacher, so they train on different data
    assert by_label["GPT-4o-mini"].train.data.fingerprint != by_label["GPT-4o-1120"].train.data.fingerprint
    assert by_label["GPT-4o-1120"].benchmark_map["MATH"] == "micro-medium"


def _write(tmp_path, text: str) -> Path:
    base = (ROOT / "ablations" / "teacher_model.yaml").read_text()
    path = tmp_path / "broken.yaml"
    path.write_text(base.replace("  - label: GPT-4o-mini\n    method: cft\n", text))
    return path


@pytest.mark.parametrize(
    "replacement, expected",
    [
        (
            "  - label: GPT-4o-mini\n    method: cft\n    techer: gpt-4o-mini\n",
            ["cells[1].techer", "unknown key", "Did you mean 'teacher'?"],
        ),
        ("  - label: GPT-4o-mini\n    method: cft\n    temperature: hot\n", ["cells[1].temperature", "'hot'"]),
        ("  - label: GPT-4o-mini\n    method: cfft\n", ["cells[1].method", "'cfft' is not allowed", "'sft-verified'"]),
    ],
)
def test_schema_errors_name_file_key_and_allowed_values(tmp_path, replacement, expected):
    path = _write(tmp_path, replacement)
    with pytest.raises(SpecError) as error:
        load_ablation(str(path), "tiny")
    message = str(error.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message


def test_unbound_names_are_reported_with_what_the_profile_binds(tmp_path):
    path = tmp_path / "unbound.yaml"
    text = (ROOT / "ablations" / "teacher_model.yaml").read_text()
    text = text.replace("teacher: gpt-4o-mini", "teacher: gpt-4o-mni")
    path.write_text(text.replace("dataset: webinstruct", "dataset: webinstruct2"))
    with pytest.raises(SpecError) as error:
        load_ablation(str(path), "tiny")
    message = str(error.value)
    assert "cells[1] (GPT-4o-mini).teacher" in message and "Did you mean 'gpt-4o-mini'" in message
    assert "tiny.yaml" in message and "webinstruct2" in message  # every problem at once


def test_bad_spec_fails_before_anything_is_written(tmp_path):
    path = _write(tmp_path, "  - label: GPT-4o-mini\n    method: cft\n    techer: gpt-4o-mini\n")
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'store.db'}", CFT_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-m", "cft_lib.cli", "ablation", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "cells[1].techer" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "store.db").exists() and not (tmp_path / "home").exists()


def test_unknown_spec_name_suggests_the_nearest():
    with pytest.raises(SpecError, match="teacher_model"):
        load_ablation("teacher_modle", "tiny")


def test_seeds_replicate_every_trained_cell_once_per_seed():
    ablation = load_ablation("teacher_model", "tiny", seeds=3)
    assert ablation.seeds == [0, 1, 2]
    by_label: dict[str, list] = {}
    for cell in ablation.cells:
        by_label.setdefault(cell.label, []).append(cell)
    assert len(by_label["SFT-verified"]) == 3  # every trained cell once per seed
    cft = by_label["GPT-4o-1120"]
    assert [c.seed for c in cft] == [0, 1, 2]
    assert len({c.train.data.fingerprint for c in cft}) == 3 and len({c.train.fingerprint for c in cft}) == 3
    assert len({c.fingerprint for c in ablation.cells}) == len(ablation.cells)
    assert ablation.run_name(cft[1]) == "GPT-4o-1120 (seed 1)"
    base = load_ablation("response_source", "tiny", seeds=3)
    assert sum(c.label == "Base" for c in base.cells) == 1  # greedy evaluation of one base model: no seed to vary
    with pytest.raises(SpecError, match="--seeds"):
        load_ablation("sft_vs_cft", "tiny", seeds=0)


def test_the_schema_speaks_the_registered_methods():
    """One vocabulary: the spec schema's methods are "base" and the methods the builders register."""
    import typing

    from cft_lib.ablation.schema import Method
    from cft_lib.data.methods import TRAINING_METHODS

    assert set(typing.get_args(Method)) == {"base", *TRAINING_METHODS}
