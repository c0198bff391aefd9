"""Turn prompt/completion records into token ids with a target mask.

The prompt is the chat-template rendering of (system, user message); the completion is the
record's `output` plus the end-of-turn token. Only completion tokens carry loss: for CFT that is
P(critique | question; response), the paper's objective, and for SFT P(response | question).
Empty records are skipped and counted. A record longer than `max_seq_len` is skipped and counted
(`overlength="skip"`, the tiny default), or cut to fit as LLaMA-Factory's `infer_seqlen` cuts it
(`"truncate"`, the official CFT run: prompt and completion each keep their beginning, in proportion).
"""

from __future__ import annotations

import collections
import warnings
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from cft_lib.data.records import TrainingRecord


@dataclass(frozen=True)
class TokenizedExample:
    """Token ids of prompt + completion; `n_prompt` leading tokens carry no loss.

    `target_mask` (one 0/1 per token), where given, says exactly which tokens carry loss instead
    (the tiny model's fact-practice lines: only each line's result is predictable).
    """

    id: str
    input_ids: list[int]
    n_prompt: int
    target_mask: tuple[int, ...] | None = None

    @property
    def n_target(self) -> int:
        if self.target_mask is not None:
            return sum(self.target_mask)
        return len(self.input_ids) - self.n_prompt


@dataclass
class TokenizedSet:
    examples: list[TokenizedExample]
    skipped: collections.Counter = field(default_factory=collections.Counter)
    truncated: int = 0  # kept, but cut to max_seq_len (overlength="truncate")


def render_prompt(tokenizer: PreTrainedTokenizerBase, user: str, system: str | None) -> str:
    """The generation prompt a model sees, through the tokenizer's own chat template."""
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


OVERLENGTH = ("skip", "truncate")


def truncated_lengths(prompt: int, completion: int, limit: int) -> tuple[int, int]:
    """How many prompt and completion tokens to keep so that both fit in `limit`, as LLaMA-Factory
    0.9.2's `infer_seqlen` decides: a short completion is kept whole, else a short prompt is, else
    each is cut in proportion to its length."""
    if prompt + completion <= limit:
        return prompt, completion
    if completion * 2 < limit:
        completion_room = limit
    elif prompt * 2 < limit:
        completion_room = limit - prompt
    else:
        completion_room = int(limit * completion / (prompt + completion))
    kept_completion = min(completion_room, completion)
    return min(max(limit - kept_completion, 0), prompt), kept_completion


def tokenize_records(
    records: list[TrainingRecord],
    tokenizer: PreTrainedTokenizerBase,
    system: str | None,
    max_seq_len: int,
    target_end: str | None = None,
    overlength: str = "skip",
) -> TokenizedSet:
    """Tokenise each record as prompt ids + completion ids; skip and count what cannot be used.

    Prompt and completion are tokenised separately and concatenated, so the boundary is exact. The
    completion ends with `target_end` (None: the tokenizer's EOS token; the official run's qwen
    template ends a turn with "<|im_end|>\n").
    A warning is raised once if the joint tokenisation would differ (the prompt would not be a
    prefix of prompt+completion), since generation then sees different ids than training did.
    """
    out = TokenizedSet([])
    warned = False
    for record in records:
        if not record.output.strip() or not record.user_message.strip():
            out.skipped["empty"] += 1
            continue
        prompt = render_prompt(tokenizer, record.user_message, system) if system is not None else ""
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] if prompt else []
        completion = record.output + (tokenizer.eos_token or "" if target_end is None else target_end)
        completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        if len(prompt_ids) + len(completion_ids) > max_seq_len:
            if overlength == "skip":
                out.skipped["too_long"] += 1
                continue
            kept_prompt, kept_completion = truncated_lengths(len(prompt_ids), len(completion_ids), max_seq_len)
            prompt_ids, completion_ids = prompt_ids[:kept_prompt], completion_ids[:kept_completion]
            if not completion_ids:  # nothing left to learn from
                out.skipped["too_long"] += 1
                continue
            out.truncated += 1
        ids = prompt_ids + completion_ids
        if not warned and prompt:
            joint = tokenizer(prompt + completion, add_special_tokens=False)["input_ids"]
            if joint[: len(prompt_ids)] != prompt_ids:
                warnings.warn(
                    "tokenised prompt is not a prefix of prompt+completion; "
                    "generation will see other ids than training",
                    stacklevel=2,
                )
                warned = True
        out.examples.append(TokenizedExample(record.id, ids, len(prompt_ids)))
    return out


def tokenize_documents(texts: list[str], tokenizer: PreTrainedTokenizerBase, max_seq_len: int) -> TokenizedSet:
    """Plain documents with loss on every token (the tiny base model's pre-training)."""
    out = TokenizedSet([])
    for index, text in enumerate(texts):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) > max_seq_len:
            out.skipped["too_long"] += 1
            continue
        out.examples.append(TokenizedExample(f"doc-{index}", ids, 0))
    return out
