"""What the tiny base model has stored: fact accuracy over the whole table, and step accuracy.

- fact accuracy: greedy `c` after `a op b =` for every fact of the table (the format of the
  fact-practice lines), overall and per operation;
- likelihood preference: how often the true result outscores a nearby wrong one (the kind an
  arithmetic slip writes) after `a op b =` - what a critic needs to tell a slip from a fact;
- step accuracy: on held-out problems with their right solution in the prompt so far (teacher
  forcing), how often the model's next result after `Step k: <quote>, so a op b =` is right -
  facts read in the context of a problem.
All are one batched forward pass each; no generation.
"""

from __future__ import annotations

import random

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from cft_lib.data.formats import COT_SYSTEM
from cft_lib.data.microworld import OPS, TABLE, correct_solution, parse_question, render_solution
from cft_lib.train.tokenize import render_prompt


def _last_logits(model: PreTrainedModel, rows: list[list[int]], pad_id: int, batch: int = 512) -> torch.Tensor:
    """Next-token logits after each (left-padded) row."""
    out = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        width = max(len(r) for r in chunk)
        ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in chunk])
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in chunk])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.no_grad():
            out.append(model(input_ids=ids, attention_mask=mask, position_ids=positions).logits[:, -1].float())
    return torch.cat(out)


def fact_skill(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, seed: int = 0) -> dict[str, float]:
    """facts/accuracy, facts/accuracy_<op>, facts/true_beats_slip over every fact of the table."""
    model.eval()
    facts = TABLE.facts
    rows = [tokenizer(f"{a} {op} {b} =", add_special_tokens=False)["input_ids"] for a, op, b, _ in facts]
    logits = _last_logits(model, rows, tokenizer.pad_token_id)
    number = {n: tokenizer.convert_tokens_to_ids(f" {n}") for n in range(TABLE.max_value + 4)}
    rng = random.Random(f"slips:{seed}")
    right, prefer = [], []
    for row, (_, _, _, c) in zip(logits, facts, strict=True):
        right.append(int(row.argmax()) == number[c])
        slip = rng.choice([v for v in range(c - 3, c + 4) if v != c and 0 <= v <= TABLE.max_value])
        prefer.append(bool(row[number[c]] > row[number[slip]]))
    metrics = {
        "facts/accuracy": sum(right) / len(right),
        "facts/true_beats_slip": sum(prefer) / len(prefer),
        "facts/n": float(len(facts)),
    }
    for op in OPS:
        mine = [ok for ok, fact in zip(right, facts, strict=True) if fact[1] == op]
        metrics[f"facts/accuracy_{_OP_NAMES[op]}"] = sum(mine) / len(mine)
    return metrics


_OP_NAMES = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


def step_skill(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, questions: list[str]) -> dict[str, float]:
    """steps/accuracy: next result right after `Step k: a op b =`, the right solution so far given."""
    model.eval()
    rows, golds = [], []
    for question in questions:
        problem = parse_question(question)
        if problem is None:
            continue
        prompt = render_prompt(tokenizer, question, COT_SYSTEM)
        lines = render_solution(correct_solution(problem)).split("\n")
        for index, step in enumerate(correct_solution(problem).steps):
            prefix = "\n".join(lines[:index] + [lines[index].rsplit("=", 1)[0].rstrip() + " ="])
            rows.append(tokenizer(prompt + prefix, add_special_tokens=False)["input_ids"])
            golds.append(tokenizer.convert_tokens_to_ids(f" {step.result}"))
    logits = _last_logits(model, rows, tokenizer.pad_token_id, batch=128)
    right = [int(row.argmax()) == gold for row, gold in zip(logits, golds, strict=True)]
    return {"steps/accuracy": sum(right) / max(1, len(right)), "steps/n": float(len(right))}
