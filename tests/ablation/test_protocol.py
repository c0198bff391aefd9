"""The paper profile's protocol section, its launch section and its pinned hub inputs, checked at load."""

from pathlib import Path

import pytest
import yaml

from cft_lib.ablation.schema import ProtocolPoint
from cft_lib.ablation.specs import load_ablation, load_profile
from cft_lib.errors import ConfigError, SpecError
from cft_lib.eval.protocol import OFFICIAL_MATH_STOP
from cft_lib.report.tables import _protocol_block
from cft_lib.train.launch import LaunchConfig, shipped_configs

ROOT = Path(__file__).resolve().parents[2]


def test_the_paper_profile_declares_all_18_points_and_the_report_lists_those_not_matched():
    _, _, profile = load_profile("paper")
    assert sorted(p.item for p in profile.protocol.values()) == list(range(1, 19))
    block = "\n".join(_protocol_block(load_ablation("teacher_model", "paper")))
    for name, point in profile.protocol.items():
        assert (f"| {name} |" in block) == (point.status != "matched"), name
    assert _protocol_block(load_ablation("teacher_model", "tiny")) == []  # tiny declares none


def test_a_deviation_must_say_what_is_done_instead_and_why():
    with pytest.raises(ValueError, match="needs `ours` and `why`"):
        ProtocolPoint(item=1, status="deviation", what="x")
    ProtocolPoint(item=1, status="matched", what="x")


def test_paper_cells_carry_the_official_settings():
    cell = next(c for c in load_ablation("sft_vs_cft", "paper").cells if c.label == "Qwen2.5-Math-7B WebInstruct-CFT")
    assert cell.eval.generation.stop == OFFICIAL_MATH_STOP
    assert cell.eval.generation.stop_token_ids == (151645, 151643) and cell.eval.grader == "qwen25-math"
    assert cell.train.target_end == "<|im_end|>\n" and cell.train.overlength == "truncate"
    assert cell.train.system_prompt == "You are a helpful assistant." and cell.train.train.batching == "padded"
    assert cell.train.launch.num_processes == 8 and cell.train.launch.deepspeed
    deepseek = next(c for c in load_ablation("sft_vs_cft", "paper").cells if c.base_model.startswith("deepseek"))
    assert deepseek.eval.prompt_overrides == (("qwen25-math-cot", "deepseek-math"),)
    assert deepseek.eval.generation.stop_token_ids == ()


def test_a_pinned_base_model_and_dataset_change_the_fingerprints():
    plain = load_ablation("teacher_model", "paper").cells[0]
    pinned = load_ablation(
        "teacher_model",
        "paper",
        overrides={"base_models.qwen2.5-math-7b.revision": "abc", "datasets.webinstruct.revision": "def"},
    ).cells[0]
    assert pinned.base_model == "Qwen/Qwen2.5-Math-7B@abc" and pinned.train.data.source == "webinstruct@def"
    assert pinned.fingerprint != plain.fingerprint


def test_the_launch_is_logged_but_not_fingerprinted():
    one = load_ablation("teacher_model", "tiny").cells[-1]
    eight = load_ablation("teacher_model", "tiny", overrides={"launch.num_processes": 8}).cells[-1]
    assert eight.train.launch.launched and not one.train.launch.launched
    assert eight.fingerprint == one.fingerprint and eight.config_dict()["launch"]["num_processes"] == 8


@pytest.mark.parametrize("name", shipped_configs())
def test_every_shipped_launch_config_parses_and_names_files_that_exist(name):
    launch = LaunchConfig(num_processes=2, config_file=name)
    launch.check()
    command = launch.command("cft_lib.ablation.launched", "JOB")
    settings = yaml.safe_load((ROOT / "ablations" / name).read_text())
    assert command[command.index("--num_processes") + 1] == "2"
    if settings["distributed_type"] == "DEEPSPEED":
        deepspeed = Path(command[command.index("--deepspeed_config_file") + 1])
        assert deepspeed.is_absolute() and deepspeed.is_file() and launch.deepspeed
    assert command[-3:] == ["--module", "cft_lib.ablation.launched", "JOB"]


def test_a_bad_launch_is_an_error_at_load_naming_the_key():
    with pytest.raises(SpecError, match="launch.config_file: launch/zero9.yaml not found"):
        load_ablation("teacher_model", "tiny", overrides={"launch.config_file": "launch/zero9.yaml"})
    with pytest.raises(SpecError, match="launch.num_procesess: unknown key"):
        load_ablation("teacher_model", "tiny", overrides={"launch.num_procesess": 2})
    with pytest.raises(ConfigError, match="zero_stage"):
        LaunchConfig(zero_stage=4).check()


def test_plain_data_parallelism_launches_multi_gpu_and_zero_stage_uses_deepspeed():
    assert "--multi_gpu" in LaunchConfig(num_processes=2).command("m")
    deepspeed = LaunchConfig(zero_stage=3).command("m")
    assert deepspeed[deepspeed.index("--zero_stage") + 1] == "3" and "--multi_gpu" not in deepspeed


def test_zero3_over_several_processes_must_evaluate_saved_models_after_training():
    sharded = {"launch.num_processes": 2, "launch.zero_stage": 3}
    with pytest.raises(SpecError, match="use validation.via: backend"):
        load_ablation("teacher_model", "tiny", overrides=sharded)
    cells = load_ablation("training_dynamics", "tiny", overrides=sharded | {"validation.via": "backend"}).cells
    from cft_lib.ablation.stages import SNAPSHOTS, training_validation

    arguments = training_validation(cells[-1].train)
    assert arguments["snapshots"].name == SNAPSHOTS and arguments["track_points"] == cells[-1].train.curve.points
    assert "validate" not in arguments and "track" not in arguments  # nothing generates inside training
