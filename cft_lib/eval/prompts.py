"""Named prompt templates; the name and text are logged with every evaluation.

qwen25-math-cot is the paper's evaluation prompt (Qwen2.5-Math harness): the system message
below and the question as the user turn, rendered with the model's own chat template.
"""

from __future__ import annotations

from dataclasses import dataclass

from cft_lib.data.formats import COT_SYSTEM
from cft_lib.llm.base import Message
from cft_lib.registry import Registry


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str | None
    user: str  # with a {question} field

    def messages(self, question: str) -> list[Message]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return system + [{"role": "user", "content": self.user.format(question=question)}]


prompt_templates: Registry[PromptTemplate] = Registry("prompt template")
prompt_templates.add("qwen25-math-cot", PromptTemplate("qwen25-math-cot", COT_SYSTEM, "{question}"))

# GPQA-Diamond and MMLU-Pro (Table 3): MMLU-Pro's chain-of-thought answer convention. The CFT
# repository's exact multiple-choice prompt was not available to check against.
MULTIPLE_CHOICE_SYSTEM = (
    "The following is a multiple choice question. Think step by step and then finish your "
    'answer with "The answer is (X)" where X is the correct letter choice.'
)
prompt_templates.add("multiple-choice-cot", PromptTemplate("multiple-choice-cot", MULTIPLE_CHOICE_SYSTEM, "{question}"))
