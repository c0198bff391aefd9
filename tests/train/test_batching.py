"""Packing must not change any example's loss: packed examples never attend to each other."""

import random

import pytest
import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

from cft_lib.train.batching import (
    IGNORE_INDEX,
    collate_padded,
    micro_batches,
    pack_rows,
    target_loss_sum,
)
from cft_lib.train.tokenize import TokenizedExample


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = Qwen3Config(
        vocab_size=300,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        head_dim=16,
        max_position_embeddings=512,
    )
    return Qwen3ForCausalLM(config).eval()


def _examples(n: int, seed: int = 0) -> list[TokenizedExample]:
    rng = random.Random(seed)
    lengths = [rng.randint(8, 90) for _ in range(n)]
    return [
        TokenizedExample(f"e{i}", [rng.randrange(4, 300) for _ in range(size)], rng.randint(1, size - 1))
        for i, size in enumerate(lengths)
    ]


def test_packed_loss_of_each_example_equals_its_loss_alone(model):
    examples = _examples(12)
    rows = pack_rows(examples, pack_len=256)
    assert any(len(row) > 1 for row in rows)  # the test means something only if rows hold several
    batch = micro_batches(examples, "packed", micro_batch_size=16, pack_len=256, pad_id=0)[0]
    with torch.no_grad():
        logits = model(**batch.model_inputs()).logits
        worst = 0.0
        for r, row in enumerate(rows):
            offset = 0
            for example in row:
                span = slice(offset, offset + len(example.input_ids))
                packed = target_loss_sum(logits[r : r + 1, span], batch.labels[r : r + 1, span]) / example.n_target
                alone_batch = collate_padded([example], pad_id=0)
                alone_logits = model(**alone_batch.model_inputs()).logits
                alone = target_loss_sum(alone_logits, alone_batch.labels) / example.n_target
                worst = max(worst, abs(packed.item() - alone.item()))
                offset += len(example.input_ids)
    assert worst <= 1e-4


def test_packing_with_a_plain_causal_mask_would_leak(model):
    """Control: the same rows with ordinary positions do change losses (so the test above can fail)."""
    examples = _examples(12)
    batch = micro_batches(examples, "packed", micro_batch_size=16, pack_len=256, pad_id=0)[0]
    inputs = batch.model_inputs()
    inputs["position_ids"] = torch.arange(batch.input_ids.shape[1]).expand_as(batch.input_ids)
    with torch.no_grad():
        leaky = target_loss_sum(model(**inputs).logits, batch.labels)
        clean = target_loss_sum(model(**batch.model_inputs()).logits, batch.labels)
    assert abs(leaky.item() - clean.item()) > 1e-3


def test_rows_respect_capacity_and_keep_every_example():
    examples = _examples(50, seed=1)
    rows = pack_rows(examples, pack_len=200)
    assert all(sum(len(e.input_ids) for e in row) <= 200 for row in rows)
    assert sorted(e.id for row in rows for e in row) == sorted(e.id for e in examples)


def test_prompt_tokens_carry_no_loss():
    example = TokenizedExample("x", [5, 6, 7, 8, 9], n_prompt=3)
    batch = collate_padded([example, TokenizedExample("y", [5, 6], 1)], pad_id=0)
    assert batch.labels[0].tolist() == [IGNORE_INDEX] * 3 + [8, 9]
    assert batch.labels[1].tolist() == [IGNORE_INDEX, 6, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]
    assert batch.n_target == 3 and batch.n_tokens == 7


@pytest.mark.parametrize("mode", ["packed", "grouped", "padded"])
def test_every_mode_covers_every_target_token(mode):
    examples = _examples(20, seed=2)
    parts = micro_batches(examples, mode, micro_batch_size=4, pack_len=256, pad_id=0)
    assert sum(p.n_target for p in parts) == sum(e.n_target for e in examples)
    assert sum(int((p.labels != IGNORE_INDEX).sum()) for p in parts) == sum(e.n_target for e in examples)
