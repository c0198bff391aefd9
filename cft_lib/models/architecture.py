"""The tiny base model's architecture (no torch here): width, depth and heads of a Qwen-family decoder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TinyArchitecture:
    hidden_size: int = 64
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 2
    max_position_embeddings: int = 1024
