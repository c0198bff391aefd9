"""`--set KEY=VALUE`: dotted profile keys, validated like the YAML, entering the fingerprints they change."""

from __future__ import annotations

import pytest

from cft_lib.ablation.specs import apply_overrides, load_ablation, parse_overrides
from cft_lib.cli import main
from cft_lib.errors import SpecError


def test_overrides_change_the_resolved_config_and_the_fingerprint():
    plain = load_ablation("teacher_model")
    tuned = load_ablation("teacher_model", overrides=parse_overrides(["train.learning_rate=3e-4", "data.size=500"]))
    cell, other = plain.cells[-1], tuned.cells[-1]
    assert other.train.train.learning_rate == 3e-4 and other.train.data.size == 500
    assert other.fingerprint != cell.fingerprint
    assert tuned.overrides == {"train.learning_rate": 3e-4, "data.size": 500}
    same = load_ablation("teacher_model", overrides={"train.learning_rate": plain.cells[-1].train.train.learning_rate})
    assert same.cells[-1].fingerprint == cell.fingerprint  # setting a value to what it is changes nothing


def test_values_are_read_as_yaml_numbers():
    assert parse_overrides(["a.b=3e-4", "a.c=500", "a.d=true", "a.e=null", "a.f=text", "a.g=[1, 2]"]) == {
        "a.b": 3e-4,
        "a.c": 500,
        "a.d": True,
        "a.e": None,
        "a.f": "text",
        "a.g": [1, 2],
    }


def test_names_with_dots_are_matched_against_the_profile():
    data = {"base_models": {"qwen2.5-7b": {"kind": "tiny"}}}
    out = apply_overrides(data, {"base_models.qwen2.5-7b.tiny_base.hidden_size": 32})
    assert out["base_models"]["qwen2.5-7b"] == {"kind": "tiny", "tiny_base": {"hidden_size": 32}}
    assert data["base_models"]["qwen2.5-7b"] == {"kind": "tiny"}  # the file's data is not touched
    ablation = load_ablation(
        "sft_vs_cft", overrides=parse_overrides(["base_models.qwen2.5-7b.tiny_base.hidden_size=32"])
    )
    assert {
        c.tiny_recipe.architecture.hidden_size for c in ablation.cells if c.choices["base_model"] == "qwen2.5-7b"
    } == {32}


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("data.sise=500", "data.sise: unknown key. Did you mean 'size'?"),
        ("data.size=-3", "data.size: Input should be greater than or equal to 1"),
        ("data.size=many", "data.size: Input should be a valid integer"),
        ("train.learnig_rate=1e-3", "train.learnig_rate: unknown key"),
        ("eval.backend=tpu", "eval.backend: 'tpu' is not allowed"),
    ],
)
def test_a_bad_override_gets_the_same_clear_error_as_a_bad_profile(item, says):
    with pytest.raises(SpecError) as caught:
        load_ablation("teacher_model", overrides=parse_overrides([item]))
    message = str(caught.value)
    assert says in message and f"with --set {item.split('=')[0]}=" in message


def test_malformed_set_items_are_refused(capsys):
    with pytest.raises(SpecError, match="expected KEY=VALUE"):
        parse_overrides(["train.learning_rate"])
    with pytest.raises(SpecError, match="data.size is a value, not a section"):
        load_ablation("teacher_model", overrides={"data.size.x": 1})
    assert main(["ablation", "teacher_model", "--dry-run", "--set", "data.sise=5"]) == 2
    assert "Did you mean 'size'?" in capsys.readouterr().err
