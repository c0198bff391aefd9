"""Named prompt templates; the name and text are logged with every evaluation.

The official CFT evaluation (TIGER-AI-Lab/CritiqueFineTuning @ 44b83b8; paper-fidelity-audit.md
section 4) writes every prompt as one string in Qwen's chat layout, or as a plain completion for
DeepSeek-Math. Chat templates here are rendered with the model's own chat template, which gives the
official string exactly for Qwen2.5 tokenizers; a raw template is sent as it is written.

- qwen25-math-cot: the math benchmarks (Qwen2.5-Math harness): the system message below and the
  question as the user turn.
- deepseek-math: the same harness's prompt for DeepSeek-Math-7B (`evaluate_deepseek.sh`), a raw
  completion prompt with no chat template (that model's tokenizer has none). Chosen per base model
  through EvalConfig.prompt_overrides.
- gpqa-qwen: GPQA-Diamond (`tools/evaluate_gpqa`, `--form qwen`, 0-shot): the generic assistant
  system message and the question with its options, no answer-format instruction.
- mmlu-pro-cot: MMLU-Pro (`evaluate_from_local.py`, ntrain=0): its system message and the question
  laid out by its `format_cot_example`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cft_lib.data.formats import COT_SYSTEM
from cft_lib.llm.base import Message, raw_message
from cft_lib.registry import Registry


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str | None
    user: str  # with a {question} field; the whole prompt when raw
    raw: bool = False  # True: `user` is the complete model input (no chat template, no system turn)

    def __post_init__(self) -> None:
        if self.raw and self.system:
            raise ValueError(f"prompt template {self.name!r}: a raw prompt has no system turn; write it into `user`")

    def messages(self, question: str) -> list[Message]:
        """The conversation for `question`: chat turns, or one raw message (llm/base.py RAW_ROLE)."""
        if self.raw:
            return [raw_message(self.user.format(question=question))]
        system = [{"role": "system", "content": self.system}] if self.system else []
        return system + [{"role": "user", "content": self.user.format(question=question)}]


prompt_templates: Registry[PromptTemplate] = Registry("prompt template")
prompt_templates.add("qwen25-math-cot", PromptTemplate("qwen25-math-cot", COT_SYSTEM, "{question}"))

# tools/evaluate_math/utils.py "deepseek-math" (after str.format the braces read "\boxed{}").
DEEPSEEK_MATH_PROMPT = (
    "User: {question}\nPlease reason step by step, and put your final answer within \\boxed{{}}.\n\nAssistant:"
)
prompt_templates.add("deepseek-math", PromptTemplate("deepseek-math", None, DEEPSEEK_MATH_PROMPT, raw=True))

# tools/evaluate_gpqa/prompt_utils.py get_qwen_prompt: the question (eval/paper_benchmarks.py writes
# its "Answer Choices: (A) ... (B) ..." line) is the whole user turn.
GPQA_SYSTEM = "You are a helpful assistant."
prompt_templates.add("gpqa-qwen", PromptTemplate("gpqa-qwen", GPQA_SYSTEM, "{question}"))

# tools/evaluate_mmlu-pro/cot_prompt_lib/initial_prompt_1.txt, and the user turn that
# evaluate_from_local.py builds with ntrain=0: "Question:\n{q}\nOptions:\nA. ...\n" then "Answer: Let's
# think step by step." and a newline before <|im_end|>. The question field holds "{q}\nOptions:\nA. ..."
MMLU_PRO_SYSTEM = (
    'Please reason step by step, and put your answer with "the answer is (X)" where X is the correct letter choice.'
)
MMLU_PRO_USER = "Question:\n{question}\nAnswer: Let's think step by step.\n"
prompt_templates.add("mmlu-pro-cot", PromptTemplate("mmlu-pro-cot", MMLU_PRO_SYSTEM, MMLU_PRO_USER))
