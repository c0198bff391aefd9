"""The trainer takes real steps: loss falls, parameters change, the best checkpoint is kept."""

import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.formats import COT_SYSTEM
from cft_lib.data.records import read_training_records
from cft_lib.errors import ConfigError
from cft_lib.train import checkpoints
from cft_lib.train.config import TrainConfig
from cft_lib.train.tokenize import tokenize_records
from cft_lib.train.trainer import train, validation_steps


@pytest.fixture(scope="module")
def cft_examples(small_base_model):
    tokenizer = AutoTokenizer.from_pretrained(small_base_model)
    records = read_training_records(build_dataset(DataConfig(variant="cft", size=96), progress=False).path)
    tokenized = tokenize_records(records, tokenizer, COT_SYSTEM, max_seq_len=512)
    assert not tokenized.skipped
    return tokenizer, tokenized.examples


def test_prompt_is_masked_and_completion_ends_with_eos(cft_examples):
    tokenizer, examples = cft_examples
    for example in examples[:10]:
        prompt = tokenizer.decode(example.input_ids[: example.n_prompt])
        target = tokenizer.decode(example.input_ids[example.n_prompt :])
        assert prompt.endswith("<|im_start|>assistant\n")
        assert "Please critique whether" in prompt
        assert target.startswith("Critique:\n") and target.endswith("<|im_end|>")


def test_training_changes_parameters_and_lowers_loss(small_base_model, cft_examples, tmp_path):
    tokenizer, examples = cft_examples
    losses: list[float] = []
    scores = iter([0.2, 0.5, 0.3])
    config = TrainConfig(learning_rate=1e-3, global_batch_size=16, micro_batch_size=2, num_validations=3, epochs=2)
    result = train(
        small_base_model,
        tokenizer,
        examples,
        tmp_path,
        config,
        validate=lambda model, tok: next(scores),
        log_metrics=lambda metrics, step: losses.append(metrics["train/loss"]),
        progress=False,
    )
    assert result.steps == 12 and len(losses) == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3
    assert result.best_score == 0.5 and result.best_step == 8
    before = AutoModelForCausalLM.from_pretrained(small_base_model)
    after = AutoModelForCausalLM.from_pretrained(result.model_dir)
    changed = [not torch.equal(a, b) for a, b in zip(before.parameters(), after.parameters(), strict=True)]
    assert all(changed)


def test_validation_points_spread_over_training():
    assert validation_steps(100, 4) == {25, 50, 75, 100}
    assert validation_steps(3, 5) == {1, 2, 3}
    assert validation_steps(10, 0) == set()


def test_bad_train_config_is_rejected_early():
    with pytest.raises(ConfigError, match="batching"):
        TrainConfig(batching="stacked").check()


class Crash(RuntimeError):
    pass


def _weight_sum_validator(sign: float):
    def validate(model, tok):  # a score that depends on every weight, so equal scores mean equal models
        return sign * float(sum(p.detach().double().sum() for p in model.parameters()))

    return validate


def test_an_interrupted_training_resumes_to_the_same_model(small_base_model, cft_examples, tmp_path):
    """Crash in step 5 of 6 and lose the kept model, call again: resumes from step 4, ends bit-identical."""
    tokenizer, examples = cft_examples
    config = TrainConfig(learning_rate=1e-3, global_batch_size=16, micro_batch_size=4, num_validations=2)
    sign = 1.0
    straight = train(
        small_base_model,
        tokenizer,
        examples,
        tmp_path / "straight",
        config,
        validate=_weight_sum_validator(sign),
        progress=False,
    )
    if straight.best_step != 3:  # make the step-3 model the kept one, so resuming must restore it
        sign = -1.0
        straight = train(
            small_base_model,
            tokenizer,
            examples,
            tmp_path / "straight-3",
            config,
            validate=_weight_sum_validator(sign),
            progress=False,
        )
    assert straight.best_step == 3 and len(straight.validation) == 2
    logged: list[int] = []

    def crash_once_in_step_five(metrics, step):
        logged.append(step)
        if step == 5 and logged.count(5) == 1:
            raise Crash

    out = tmp_path / "resumed"

    def attempt():  # the same training, started again after the crash
        return train(
            small_base_model,
            tokenizer,
            examples,
            out,
            config,
            validate=_weight_sum_validator(sign),
            log_metrics=crash_once_in_step_five,
            progress=False,
            checkpoint_interval_s=0,
        )

    with pytest.raises(Crash):
        attempt()
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step-000004"]
    shutil.rmtree(out / "model")  # what a stage's fresh_dir does to the kept model of an unfinished attempt
    resumed = attempt()
    assert resumed.resumed_from_step == 4
    assert logged == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 6]  # the earlier curve is logged again, then 5 and 6
    assert resumed.validation == straight.validation and resumed.best_step == 3
    assert (resumed.examples, resumed.target_tokens) == (straight.examples, straight.target_tokens)
    assert resumed.final_loss == straight.final_loss
    a = AutoModelForCausalLM.from_pretrained(straight.model_dir)
    b = AutoModelForCausalLM.from_pretrained(resumed.model_dir)  # the step-3 model, restored from the checkpoint
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))
    assert (out / "checkpoints").exists()  # kept until the caller has recorded the result
    checkpoints.clear(out)
    assert not (out / "checkpoints").exists()


def test_a_checkpoint_of_another_training_is_not_resumed(small_base_model, cft_examples, tmp_path):
    tokenizer, examples = cft_examples
    config = TrainConfig(global_batch_size=16, micro_batch_size=8, num_validations=0)

    def crash(metrics, step):
        if step == 2:
            raise Crash

    with pytest.raises(Crash):
        train(
            small_base_model,
            tokenizer,
            examples,
            tmp_path,
            config,
            log_metrics=crash,
            progress=False,
            checkpoint_interval_s=0,
        )
    other = train(
        small_base_model,
        tokenizer,
        examples,
        tmp_path,
        TrainConfig(**{**config.__dict__, "seed": 1}),
        progress=False,
        checkpoint_interval_s=0,
    )
    assert other.resumed_from_step is None and other.steps == 6
