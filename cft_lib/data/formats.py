"""The paper's prompt formats, verbatim. Whitespace here is part of the protocol: change a
newline and the trained model sees a different prompt than the paper's (and than evaluation).

Sources: CFT format and teacher prompts from Section 2 / Appendix of the paper (and the released
data); evaluation prompt "qwen25-math-cot" from Qwen2.5-Math's evaluation harness.
"""

from __future__ import annotations

import re

from cft_lib.data.records import TrainingRecord

# CFT training example (WebInstruct-CFT): loss on `output` only.
CFT_INSTRUCTION = "Please critique whether the following solution to the question is correct."
CFT_INPUT = "Question:\n{question}\n\nSolution:\n{response}\n"
CFT_OUTPUT = "Critique:\n{critique}"

# Teacher (gpt-4o-2024-11-20, temperature 0.3, top_p 0.95, max_tokens 3200).
TEACHER_SYSTEM = (
    "You are a science expert. A student is trying to solve a question, please explain briefly whether "
    "his solution is correct or not. Finally, conclude your judgement with 'Conclusion: right/wrong [END]'."
)
TEACHER_USER = "\nQuestion: {question}\n\nSolution: {answer}\n"

# Evaluation and SFT system prompt (qwen25-math-cot).
COT_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."

FORMAT_VERSION = "1"  # bump when any string above changes: it enters every data fingerprint


def cft_record(record_id: str, question: str, response: str, critique: str, meta: dict) -> TrainingRecord:
    """[question; noisy response] → critique, in the paper's exact strings."""
    return TrainingRecord(
        id=record_id,
        instruction=CFT_INSTRUCTION,
        input=CFT_INPUT.format(question=question, response=response),
        output=CFT_OUTPUT.format(critique=critique),
        meta=meta,
    )


def sft_record(record_id: str, question: str, response: str, meta: dict) -> TrainingRecord:
    """question → response (SFT, SFT-verified, SFT-teacher differ only in where the response comes from)."""
    return TrainingRecord(id=record_id, instruction=question, input="", output=response, meta=meta)


# The teacher's verdict line, as TEACHER_SYSTEM asks for it ('Conclusion: right/wrong [END]').
# possessive quantifiers: adjacent `\s*` would otherwise try every split of a long run of blanks
_VERDICT_RE = re.compile(r"Conclusion\s*+:\s*+\**+\s*+(right|wrong|correct|incorrect)", re.IGNORECASE)


def parse_verdict(critique: str) -> bool | None:
    """True for 'Conclusion: right', False for 'Conclusion: wrong', None if there is no verdict.

    The last conclusion counts: critiques sometimes restate the question's wording first.
    """
    matches = _VERDICT_RE.findall(critique)
    if not matches:
        return None
    return matches[-1].lower() in ("right", "correct")
