"""The CFT paper's official evaluation run, as constants: its stop strings and stop token ids.

From TIGER-AI-Lab/CritiqueFineTuning @ 44b83b8 (the official release; paper-fidelity-audit.md,
sections 4a and 4b). Each list is written here as the string values the official Python holds at run
time. Stop strings are matched literally (not as regular expressions) by vLLM, by OpenAI-compatible
servers and by the hf backend, and cut from the output.

- Math benchmarks (`tools/evaluate_math/math_eval.py`, Qwen2.5-Math's harness with CFT's "[END]"
  family added): OFFICIAL_MATH_STOP for every model, plus QWEN2_STOP_TOKEN_IDS when the model path
  contains "qwen2" (`official_stop_token_ids`). Profile-level: they go into EvalConfig.generation.
- GPQA-Diamond (`tools/evaluate_gpqa/run_open.py`, `--form qwen`): GPQA_STOP and no stop token ids.
- MMLU-Pro (`tools/evaluate_mmlu-pro/evaluate_from_local.py`): MMLU_PRO_STOP, and stop token ids
  151645/151643 for every model (the script hard-codes Qwen2's ids).
The GPQA and MMLU-Pro lists sit on their Benchmark records (eval/paper_benchmarks.py) and are added
to the configured stop strings for their items only.
"""

from __future__ import annotations

# tools/evaluate_math/math_eval.py. The fifth entry is the 7 characters \[END\] (the source spells
# it "\\[END\\]"), a literal string, so it stops only on a backslash-escaped "[END]".
OFFICIAL_MATH_STOP: tuple[str, ...] = ("</s>", "<|im_end|>", "<|endoftext|>", "(END)", "\\[END\\]", "**END**", "[END]")

# Qwen2's <|im_end|> and <|endoftext|>: math_eval.py passes them when "qwen2" is in the model path.
QWEN2_STOP_TOKEN_IDS: tuple[int, ...] = (151645, 151643)

# tools/evaluate_gpqa/run_open.py (the same list in run_choice.py)
GPQA_STOP: tuple[str, ...] = (
    "USER:",
    "ASSISTANT:",
    "### Instruction:",
    "Response:",
    "\n\nProblem",
    "\nProblem",
    "Problem:",
    "<|eot_id|>",
    "####",
)

# tools/evaluate_mmlu-pro/evaluate_from_local.py: the end-of-turn strings and "Question:", which stops
# a model that starts writing the next question of a few-shot layout
MMLU_PRO_STOP: tuple[str, ...] = ("</s>", "<|im_end|>", "<|endoftext|>", "Question:")

# evaluate_from_local.py: an item without a prediction is scored with a letter drawn after
# random.seed(12345) (eval/choice_extraction.py mmlu_pro_guess)
MMLU_PRO_GUESS_SEED = 12345


def official_stop_token_ids(model: str) -> tuple[int, ...]:
    """The math run's stop token ids for `model` (a path or hub id): Qwen2's when "qwen2" is in its name,
    as math_eval.py decides; none otherwise (the tokenizer's EOS still ends every completion)."""
    return QWEN2_STOP_TOKEN_IDS if "qwen2" in model.lower() else ()
