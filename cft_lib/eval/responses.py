"""Responses to training questions, as evaluation sees them: are they right, and the base model's own.

`response_is_right` feeds the critique audit (data/builders.py); `base_model_responder` writes the
responses of Table 7's "self" response source: the base model answering in the evaluation prompt,
sampled as SELF_RESPONSE_SAMPLING says (part of the data fingerprint).
"""

from __future__ import annotations

from collections.abc import Callable

from cft_lib.data.records import SourceExample
from cft_lib.eval.grading import extract_answer, is_equivalent
from cft_lib.llm.base import GenerationConfig


def response_is_right(example: SourceExample) -> bool | None:
    """The response's final answer against the reference answer (None where no reference is known)."""
    return is_equivalent(extract_answer(example.response), example.answer) if example.answer else None


def base_model_responder(
    base_path: str, sampling: GenerationConfig, progress: bool = True
) -> Callable[[list[str]], list[str]]:
    """questions → the base model's sampled responses, in the evaluation prompt (loaded on first use)."""

    def respond(questions: list[str]) -> list[str]:
        from cft_lib.eval.prompts import prompt_templates
        from cft_lib.llm.hf import HFBackend

        backend = HFBackend.from_pretrained(base_path, progress=progress)
        template = prompt_templates.get("qwen25-math-cot")
        return backend.generate([template.messages(q) for q in questions], sampling)

    return respond
