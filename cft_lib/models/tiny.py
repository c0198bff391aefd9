"""The tiny base model's architecture: a randomly initialised Qwen-family causal LM.

By default ~0.3M parameters (hidden 64, 4 layers, 2 heads) with a word-level vocabulary of a few
hundred pieces: small enough to pre-train on one CPU core in minutes, big enough to store the
micro-world's fact table and solve multi-step problems, and loaded by the same transformers code
paths as Qwen2.5-Math-7B. Profiles change width and depth per base model (ablations/profiles/tiny.yaml).

Why Qwen3 and not Qwen2: transformers >= 5 lists "qwen2" among model types whose hub tokenizer
class it does not trust, and AutoTokenizer then forces Qwen2Tokenizer's byte-level pre-tokenizer
onto any qwen2 model directory - which silently turns our word-level tokenizer into garbage.
Qwen3 is the same decoder (RoPE, RMSNorm, SwiGLU, GQA) plus QK-norm, and AutoTokenizer honours
the tokenizer.json we ship with it.
"""

from __future__ import annotations

import torch
from transformers import PreTrainedTokenizerBase, Qwen3Config, Qwen3ForCausalLM

from cft_lib.models.architecture import TinyArchitecture


def init_tiny_model(tokenizer: PreTrainedTokenizerBase, arch: TinyArchitecture, seed: int) -> Qwen3ForCausalLM:
    """A fresh Qwen3 model sized by `arch` whose special tokens match `tokenizer`."""
    torch.manual_seed(seed)
    config = Qwen3Config(
        head_dim=arch.hidden_size // arch.num_attention_heads,
        vocab_size=len(tokenizer),
        hidden_size=arch.hidden_size,
        intermediate_size=arch.intermediate_size,
        num_hidden_layers=arch.num_hidden_layers,
        num_attention_heads=arch.num_attention_heads,
        num_key_value_heads=arch.num_attention_heads,
        max_position_embeddings=arch.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model
