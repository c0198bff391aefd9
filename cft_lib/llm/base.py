"""The generation interface every backend implements: chat prompts in, completions out.

Evaluation, self-generated responses and LLM teachers all talk to a `GenerationBackend`, so a
run can move from in-process transformers to `vllm serve` or the OpenAI API by configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cft_lib.registry import Registry

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings; the defaults are the paper's evaluation (greedy, 2048 new tokens)."""

    max_new_tokens: int = 2048
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = field(default_factory=tuple)  # extra stop strings, e.g. "[END]"
    batch_size: int = 64  # prompts per forward batch (in-process backends)


class GenerationBackend(Protocol):
    name: str

    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        """One completion per conversation, in order."""
        ...

    def describe(self) -> dict[str, str]:
        """Settings worth logging with every run that used this backend."""
        ...


backends: Registry[type] = Registry("generation backend")
