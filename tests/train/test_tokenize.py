"""Records to tokens: the official run's target terminator and its truncation of over-length records."""

import pytest
from transformers import AutoTokenizer

from cft_lib.data.records import TrainingRecord
from cft_lib.train.tokenize import tokenize_records, truncated_lengths


@pytest.mark.parametrize(
    ("prompt", "completion", "limit", "kept"),
    [
        (100, 50, 200, (100, 50)),  # fits: nothing cut
        (300, 50, 200, (150, 50)),  # a short completion is kept whole, the prompt cut
        (50, 300, 200, (50, 150)),  # a short prompt is kept whole, the completion cut
        (300, 100, 160, (120, 40)),  # both long: cut in proportion (int(160 * 100 / 400) = 40)
    ],
)
def test_truncation_keeps_what_llama_factory_keeps(prompt, completion, limit, kept):
    assert truncated_lengths(prompt, completion, limit) == kept
    assert sum(truncated_lengths(prompt, completion, limit)) <= limit


@pytest.fixture(scope="module")
def tokenizer(small_base_model):
    return AutoTokenizer.from_pretrained(small_base_model)


def _record(output: str) -> TrainingRecord:
    return TrainingRecord(id="r", instruction="Please critique.", input="Question:\n1+1\n", output=output)


def test_over_length_records_are_skipped_or_truncated_and_counted(tokenizer):
    records = [_record("Critique: " + "the step 1 + 1 = 2 is right . " * 40)]
    skipped = tokenize_records(records, tokenizer, "sys", max_seq_len=64)
    assert not skipped.examples and skipped.skipped["too_long"] == 1 and skipped.truncated == 0
    cut = tokenize_records(records, tokenizer, "sys", max_seq_len=64, overlength="truncate")
    (example,) = cut.examples
    assert len(example.input_ids) == 64 and cut.truncated == 1 and example.n_target > 0


def test_the_target_ends_as_the_profile_says(tokenizer):
    (default,) = tokenize_records([_record("right")], tokenizer, "sys", 512).examples
    (im_end,) = tokenize_records([_record("right")], tokenizer, "sys", 512, target_end="<|im_end|>\n").examples
    assert default.input_ids[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(im_end.input_ids[im_end.n_prompt :]).endswith("<|im_end|>\n")
