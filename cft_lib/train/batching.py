"""Micro-batches from tokenised examples: packed, length-grouped or naively padded.

- packed: examples are laid end to end in rows of `pack_len` tokens (first-fit decreasing) with
  position ids restarting at 0 for each example. The model is called with *no* attention mask
  and use_cache=False: transformers then derives a block-diagonal causal mask from the restarting
  position ids, so packed examples never attend to each other (tests/train/test_batching.py).
- grouped: examples sorted by length inside the global batch, padded per micro-batch.
- padded: random order, padded to the longest in each micro-batch (the naive baseline).

A global batch is a fixed number of examples; gradient accumulation walks its micro-batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cft_lib.train.config import BATCHING_MODES
from cft_lib.train.tokenize import TokenizedExample

IGNORE_INDEX = -100


@dataclass
class MicroBatch:
    """Model inputs for one forward pass; `n_target`/`n_tokens` count real (non-pad) tokens."""

    input_ids: torch.Tensor
    labels: torch.Tensor
    position_ids: torch.Tensor | None
    attention_mask: torch.Tensor | None
    n_target: int
    n_tokens: int

    def model_inputs(self) -> dict[str, torch.Tensor | bool]:
        inputs: dict[str, torch.Tensor | bool] = {"input_ids": self.input_ids, "use_cache": False}
        if self.position_ids is not None:
            inputs["position_ids"] = self.position_ids
        if self.attention_mask is not None:
            inputs["attention_mask"] = self.attention_mask
        return inputs


def _labels(example: TokenizedExample) -> list[int]:
    if example.target_mask is not None:
        return [t if keep else IGNORE_INDEX for t, keep in zip(example.input_ids, example.target_mask, strict=True)]
    return [IGNORE_INDEX] * example.n_prompt + example.input_ids[example.n_prompt :]


def pack_rows(examples: list[TokenizedExample], pack_len: int) -> list[list[TokenizedExample]]:
    """First-fit-decreasing bin packing of examples into rows of at most `pack_len` tokens."""
    rows: list[list[TokenizedExample]] = []
    room: list[int] = []
    for example in sorted(examples, key=lambda e: len(e.input_ids), reverse=True):
        size = len(example.input_ids)
        for index, free in enumerate(room):
            if size <= free:
                rows[index].append(example)
                room[index] -= size
                break
        else:
            rows.append([example])
            room.append(pack_len - size)
    return rows


def collate_packed(rows: list[list[TokenizedExample]], pad_id: int) -> MicroBatch:
    """Rows of packed examples → one micro-batch; short rows are right-padded with ignored labels.

    Padding continues the position ids (0, 1, ...) as a separate "sequence", so it never joins
    a real example's block.
    """
    width = max(sum(len(e.input_ids) for e in row) for row in rows)
    ids, labels, positions = [], [], []
    for row in rows:
        row_ids, row_labels, row_pos = [], [], []
        for example in row:
            row_ids += example.input_ids
            row_labels += _labels(example)
            row_pos += list(range(len(example.input_ids)))
        pad = width - len(row_ids)
        ids.append(row_ids + [pad_id] * pad)
        labels.append(row_labels + [IGNORE_INDEX] * pad)
        positions.append(row_pos + list(range(pad)))
    n_tokens = sum(len(e.input_ids) for row in rows for e in row)
    return MicroBatch(
        torch.tensor(ids),
        torch.tensor(labels),
        torch.tensor(positions),
        None,
        sum(e.n_target for row in rows for e in row),
        n_tokens,
    )


def collate_padded(examples: list[TokenizedExample], pad_id: int) -> MicroBatch:
    """Right-padded micro-batch with an attention mask."""
    width = max(len(e.input_ids) for e in examples)
    ids = [e.input_ids + [pad_id] * (width - len(e.input_ids)) for e in examples]
    labels = [_labels(e) + [IGNORE_INDEX] * (width - len(e.input_ids)) for e in examples]
    mask = [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in examples]
    return MicroBatch(
        torch.tensor(ids),
        torch.tensor(labels),
        None,
        torch.tensor(mask),
        sum(e.n_target for e in examples),
        sum(len(e.input_ids) for e in examples),
    )


def micro_batches(
    examples: list[TokenizedExample],
    mode: str,
    micro_batch_size: int,
    pack_len: int,
    pad_id: int,
) -> list[MicroBatch]:
    """Split one global batch into micro-batches by `mode` (see the module docstring)."""
    if mode == "packed":
        rows = pack_rows(examples, pack_len)
        return [collate_packed(rows[i : i + micro_batch_size], pad_id) for i in range(0, len(rows), micro_batch_size)]
    if mode == "grouped":
        examples = sorted(examples, key=lambda e: len(e.input_ids))
    elif mode != "padded":
        raise ValueError(f"unknown batching mode {mode!r}; choose one of {BATCHING_MODES}")
    return [
        collate_padded(examples[i : i + micro_batch_size], pad_id) for i in range(0, len(examples), micro_batch_size)
    ]


def target_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy over target positions (normalised by the caller)."""
    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    return torch.nn.functional.cross_entropy(
        shift_logits.reshape(-1, shift_logits.size(-1)),
        shift_labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
