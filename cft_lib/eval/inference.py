"""How a model answers at evaluation: direct, or with self-critique (the paper's Table 9).

- `direct`: one generation with the evaluation prompt (the paper's final setting).
- `single-pass`: one generation with the paper's single-pass prompt: solve, critique the solution
  and, if the critique finds an error, write a corrected solution. The **last** boxed answer
  written counts (the corrected one when there is one).
- `two-stage`: solve with the evaluation prompt; critique that solution in a separate call with
  the paper's critique prompt (the CFT training prompt); on a verdict other than "correct",
  solve again, up to `max_attempts`. The answer is the first solution judged correct, else the
  last attempt.

Choices the paper leaves open (paper-fidelity-audit.md, section 7), stated here and logged with
every cell as params: re-attempts are fresh samples of the evaluation prompt (they do not see
the critique); attempt k samples with seed + k - 1; the judge is greedy (`critique_temperature`
0, as in the authors' development scripts); a critique without a verdict counts as "incorrect";
the last attempt is critiqued too, so the share judged correct and the judge's accuracy cover
every attempt.

Every mode works on any `GenerationBackend` (hf, openai, vllm). Prompt overrides (EvalConfig.
prompt_overrides) apply to the single-pass prompt and to the judge, which is prompted with the
evaluation's math template ("qwen25-math-cot", or the model's own, e.g. the raw "deepseek-math").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cft_lib.data.formats import cft_record, parse_verdict
from cft_lib.eval.prompts import PromptTemplate, prompt_templates
from cft_lib.llm.base import GenerationBackend, GenerationConfig, Message

INFERENCE_MODES = ("direct", "single-pass", "two-stage")

# The paper's prompts (v4, Appendix A.4). Single pass: the instruction is the system turn, the
# question the user turn, as the evaluation prompt is laid out.
SINGLE_PASS_SYSTEM = (
    "Please reason step by step to solve this problem and then critique your solution. If any "
    "errors are found, provide a corrected solution. Please put your final answer within "
    "\\boxed{}."
)
prompt_templates.add(
    "self-critique-single-pass", PromptTemplate("self-critique-single-pass", SINGLE_PASS_SYSTEM, "{question}")
)


@dataclass(frozen=True)
class InferenceConfig:
    mode: str = "direct"  # direct | single-pass | two-stage
    max_attempts: int = 8  # two-stage: attempts per problem (the paper: 8)
    critique_temperature: float = 0.0  # two-stage: the judge's sampling (greedy)
    critique_max_new_tokens: int | None = None  # two-stage: the judge's budget (None: as the solutions')

    def check(self) -> None:
        if self.mode not in INFERENCE_MODES:
            raise ValueError(f"inference mode {self.mode!r}; allowed: {', '.join(INFERENCE_MODES)}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")


@dataclass
class Answered:
    """What a model answered to one problem: the output that is graded, and the self-critique trail."""

    output: str
    attempts: list[str] = field(default_factory=list)  # two-stage: every solution, in order
    critiques: list[str] = field(default_factory=list)  # two-stage: the judge's critique of each
    verdicts: list[bool | None] = field(default_factory=list)  # two-stage: True = judged correct

    def trail(self) -> dict[str, Any]:
        if not self.attempts:
            return {}
        return {
            "attempts": len(self.attempts),
            "attempt_outputs": self.attempts,
            "critiques": self.critiques,
            "verdicts": self.verdicts,
            "judged_correct": self.verdicts[-1] is True,
        }


def critique_messages(question: str, solution: str, template: PromptTemplate | None = None) -> list[Message]:
    """The paper's critique prompt, which is also the CFT training prompt, in the evaluation's math
    template (`template`; default qwen25-math-cot: the training prompt's system turn)."""
    template = template or prompt_templates.get("qwen25-math-cot")
    return template.messages(cft_record("", question, solution, "", {}).user_message)


def overridden(name: str, overrides: tuple[tuple[str, str], ...]) -> PromptTemplate:
    """The template registered as `name`, or the one `overrides` puts in its place."""
    return prompt_templates.get(dict(overrides).get(name, name))


def answer(
    backend: GenerationBackend,
    problems: list[tuple[PromptTemplate, str]],
    generation: GenerationConfig,
    inference: InferenceConfig,
    overrides: tuple[tuple[str, str], ...] = (),
) -> list[Answered]:
    """Answer every (evaluation template, question) in `problems` with the configured inference mode;
    `overrides` (EvalConfig.prompt_overrides) swaps the single-pass and judge templates too."""
    inference.check()
    if not problems:
        return []
    if inference.mode == "two-stage":
        return two_stage(backend, problems, generation, inference, overridden("qwen25-math-cot", overrides))
    single = overridden("self-critique-single-pass", overrides) if inference.mode == "single-pass" else None
    conversations = [(single or template).messages(question) for template, question in problems]
    return [Answered(output) for output in backend.generate(conversations, generation)]


def two_stage(
    backend: GenerationBackend,
    problems: list[tuple[PromptTemplate, str]],
    generation: GenerationConfig,
    inference: InferenceConfig,
    judge_template: PromptTemplate | None = None,
) -> list[Answered]:
    """Solve, judge (in `judge_template`, default qwen25-math-cot), solve again while judged incorrect;
    all pending problems batched per round."""
    judge = replace(
        generation,
        temperature=inference.critique_temperature,
        max_new_tokens=inference.critique_max_new_tokens or generation.max_new_tokens,
    )
    answered = [Answered("") for _ in problems]
    pending = list(range(len(problems)))
    for attempt in range(1, inference.max_attempts + 1):
        if not pending:
            break
        sample = replace(generation, seed=generation.seed + attempt - 1)
        solutions = backend.generate([problems[i][0].messages(problems[i][1]) for i in pending], sample)
        critiques = backend.generate(
            [critique_messages(problems[i][1], s, judge_template) for i, s in zip(pending, solutions, strict=True)],
            judge,
        )
        still = []
        for i, solution, critique in zip(pending, solutions, critiques, strict=True):
            entry = answered[i]
            verdict = parse_verdict(critique)
            entry.output = solution
            entry.attempts.append(solution)
            entry.critiques.append(critique)
            entry.verdicts.append(verdict)
            if verdict is not True:
                still.append(i)
        pending = still
    return answered
