"""A word-level tokenizer for the micro-world, saved as a real `transformers` fast tokenizer.

Why word-level: a trial showed that with character tokens a 4M-parameter model does not learn
multi-digit arithmetic in minutes, while with one token per number it does (an early trial). Each
piece keeps its leading space (" 12", " apples") and the decoder fuses pieces back, so decoding
is lossless and "\\boxed{14}" comes back exactly as written - answer extraction depends on it.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

UNK, PAD, IM_START, IM_END = "<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = (PAD, UNK, IM_START, IM_END)

# Qwen's chat layout, so the tiny model and Qwen2.5 base models share one prompt path.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)

_PIECE_PATTERN = r" ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d]|\s+"


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Split(Regex(_PIECE_PATTERN), behavior="isolated")


def collect_vocabulary(texts: Iterable[str], max_number: int = 99) -> list[str]:
    """All pieces of `texts` plus every integer up to `max_number`, in a deterministic order."""
    splitter = _pre_tokenizer()
    counts: collections.Counter[str] = collections.Counter()
    for text in texts:
        counts.update(piece for piece, _ in splitter.pre_tokenize_str(text))
    numbers = [f"{p}{n}" for n in range(max_number + 1) for p in ("", " ")]
    words = sorted(p for p in counts if not p.strip().isdigit())
    return list(SPECIAL_TOKENS) + numbers + words


def build_tokenizer(vocabulary: list[str]) -> PreTrainedTokenizerFast:
    """A fast tokenizer over `vocabulary` with Qwen's special tokens and chat template."""
    vocab = {piece: index for index, piece in enumerate(dict.fromkeys(vocabulary))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = _pre_tokenizer()
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token=UNK,
        pad_token=PAD,
        eos_token=IM_END,
        additional_special_tokens=[IM_START],
        clean_up_tokenization_spaces=False,
        model_max_length=2048,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer
