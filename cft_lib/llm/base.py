"""The generation interface every backend implements: chat (or raw) prompts in, completions out.

Evaluation, self-generated responses and LLM teachers all talk to a `GenerationBackend`, so a
run can move from in-process transformers to `vllm serve` or the OpenAI API by configuration:
a `BackendConfig` names a registered backend and `make_backend` builds it. Backends register
here, lazily ("module:Class"), so that naming or checking one never imports torch or vllm.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Protocol

from cft_lib.errors import ConfigError
from cft_lib.fingerprint import OMIT_IF_DEFAULT
from cft_lib.registry import Registry, unknown_name_message

Message = dict[str, str]

# A conversation of one message with this role is a raw prompt: its content is the whole model
# input, sent without a chat template (hf: tokenised as is; vllm: LLM.generate; openai:
# /v1/completions). Why: some official prompts are plain completions (the CFT run's "deepseek-math"
# prompt) and DeepSeek-Math-7B base has no chat template at all.
RAW_ROLE = "raw"


def raw_message(text: str) -> Message:
    """The one message of a raw prompt (RAW_ROLE): `text` is the model's input, exactly."""
    return {"role": RAW_ROLE, "content": text}


def raw_prompt(conversation: list[Message]) -> str | None:
    """The text of a raw prompt, or None for a chat conversation (every backend asks this first)."""
    if not any(message["role"] == RAW_ROLE for message in conversation):
        return None
    if len(conversation) != 1:
        raise ValueError(f"a raw prompt is one message with role {RAW_ROLE!r}, got {len(conversation)} messages")
    return conversation[0]["content"]


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings; the defaults are the paper's evaluation (greedy, 2048 new tokens)."""

    max_new_tokens: int = 2048
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int = 0
    # extra stop strings, e.g. "[END]", cut from the output; always in fingerprints ([] when empty)
    stop: tuple[str, ...] = field(default_factory=tuple)
    # extra stop token ids besides the tokenizer's EOS, e.g. Qwen2's <|im_end|>, <|endoftext|>
    # (eval/protocol.py); model-specific, so set per base model. Left out of fingerprints while empty.
    stop_token_ids: tuple[int, ...] = field(default=(), metadata=OMIT_IF_DEFAULT)
    batch_size: int = 64  # prompts per forward batch (in-process backends)


class GenerationBackend(Protocol):
    """What evaluation needs from a backend. Each registered class also offers
    `from_config(config: BackendConfig, model: str, progress: bool)`, which `make_backend` calls."""

    name: str

    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        """One completion per conversation, in order; a raw prompt (`raw_prompt`) goes in without a chat
        template, and every stop string and stop token id of `config` ends a completion."""
        ...

    def describe(self) -> dict[str, str]:
        """Settings worth logging with every run that used this backend."""
        ...


backends: Registry[type] = Registry("generation backend")
backends.add_lazy("hf", "cft_lib.llm.hf:HFBackend")  # in-process transformers (CPU or one GPU)
# any /v1/chat/completions server (raw prompts: /v1/completions)
backends.add_lazy("openai", "cft_lib.llm.openai_backend:OpenAIBackend")
backends.add_lazy("vllm", "cft_lib.llm.vllm_backend:VLLMBackend")  # in-process vLLM (GPU, extra `gpu`)


@dataclass(frozen=True)
class BackendConfig:
    """Where generations come from: part of an evaluation cell's config (and its fingerprint when not hf)."""

    name: str = "hf"  # hf | openai | vllm (registered backends)
    base_url: str = ""  # openai: the server's /v1 URL
    served_model: str = ""  # openai: model name on the server (default: the model path)
    concurrency: int = 8  # openai: requests in flight
    timeout_s: float = 600.0  # openai: per request
    tensor_parallel_size: int = 1  # vllm

    def check(self) -> None:
        """Every problem at once, as one ConfigError naming the fields to change."""
        problems = []
        if self.name not in backends:
            problems.append(f"backend.name: {unknown_name_message('generation backend', self.name, backends.names())}")
        if self.name == "openai" and not self.base_url:
            problems.append(
                "backend.base_url: required with backend.name 'openai' (the server's /v1 URL, "
                "e.g. http://127.0.0.1:8000/v1)"
            )
        if self.name == "vllm" and importlib.util.find_spec("vllm") is None:
            problems.append(
                "backend.name: 'vllm' needs vLLM on a GPU machine (pip install 'cft-lab[gpu]'); or run "
                "`vllm serve MODEL` and use backend.name 'openai' with base_url http://127.0.0.1:8000/v1"
            )
        if self.concurrency < 1:
            problems.append(f"backend.concurrency: must be at least 1, got {self.concurrency}")
        if self.timeout_s <= 0:
            problems.append(f"backend.timeout_s: must be positive, got {self.timeout_s}")
        if self.tensor_parallel_size < 1:
            problems.append(f"backend.tensor_parallel_size: must be at least 1, got {self.tensor_parallel_size}")
        if problems:
            raise ConfigError("invalid backend config:\n  " + "\n  ".join(problems))


def make_backend(config: BackendConfig, model: str, progress: bool = True) -> GenerationBackend:
    """Check `config`, then build its registered backend for `model` (a path or a served name)."""
    config.check()
    factory: Any = backends.get(config.name)  # a backend class with a from_config classmethod
    return factory.from_config(config, model, progress)
