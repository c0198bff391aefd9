"""The paper's benchmarks as data: where each loads from and how its gold answer is read.

Each loads from a local directory laid out like `<data_dir>/<name>/test.jsonl` (the layout of the
Qwen2.5-Math / CFT evaluation harness; pass `--data-dir` or set CFT_BENCHMARK_DIR) or, failing
that, from its public hub source through `datasets`. Gold answers follow the harness's rules:
GSM8K's "#### N", MATH's and Minerva's last \\boxed{} in the solution, OlympiadBench's
final_answer list, AMC23's float answer as an integer where it is one. Questions are asked as the
harness's parse_question asks them: a true/false gold adds " (True or False)" (TheoremQA, 116 items),
a yes/no gold " (Yes or No)", and the text is stripped.

GPQA-Diamond and MMLU-Pro follow the official CFT scripts (TIGER-AI-Lab/CritiqueFineTuning @ 44b83b8):
their prompts (eval/prompts.py), stop strings (eval/protocol.py) and letter extraction
(eval/choice_extraction.py), and the question layout written here. They read
`<data_dir>/<name>/test.jsonl` in the hub's row fields when that file exists, else the hub.

Checked against reference: local files of math, math500, minerva_math, gsm8k, olympiadbench,
aime24, amc23, theoremqa (tests/eval/test_paper_benchmarks.py grades each reference solution
against its gold). Not checked here (no hub access): the hub fallbacks and their field names,
GPQA-Diamond and MMLU-Pro (their layouts are tested on hand-written rows). Bump a benchmark's version
whenever a change here or in its grading can move scores (2: formatting commands around a whole
answer are unwrapped, `\\textbf{(073)}`; 3: questions as parse_question asks them, which changes
theoremqa, olympiadbench and amc23 here; GPQA and MMLU-Pro as the official scripts; for all, grading
that reads dollar amounts, the Minerva answer sentence and a bracketed choice letter, and the grader
choice of eval/graders.py).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cft_lib.data.records import BenchmarkItem
from cft_lib.errors import DataError
from cft_lib.eval.benchmark_registry import Benchmark, benchmarks
from cft_lib.eval.choice_extraction import OPTION_LETTERS, gpqa_choice, mmlu_pro_choice, mmlu_pro_guess
from cft_lib.eval.grading import DEFAULT_GRADER, DEFAULT_TIMEOUT_S, SafeGrader, extract_answer, last_boxed
from cft_lib.eval.protocol import GPQA_STOP, MMLU_PRO_STOP


def benchmark_dir() -> Path | None:
    value = os.environ.get("CFT_BENCHMARK_DIR")
    return Path(value) if value else None


def _strip_dollars(text: str) -> str:
    text = text.strip()
    while text.startswith("$") and text.endswith("$") and len(text) > 1:
        text = text[1:-1].strip()
    return text


def _gsm8k_gold(row: dict[str, Any]) -> str:
    return row["answer"].split("####")[-1].strip().replace(",", "")


def _boxed_gold(field: str) -> Callable[[dict[str, Any]], str]:
    def gold(row: dict[str, Any]) -> str:
        answer = last_boxed(row[field])
        if answer is None:
            raise DataError(f"no \\boxed{{}} answer in the {field!r} field")
        return answer

    return gold


def _olympiad_gold(row: dict[str, Any]) -> str:
    answers = row["final_answer"]
    return ", ".join(_strip_dollars(a) for a in answers) if isinstance(answers, list) else _strip_dollars(answers)


def _number_gold(row: dict[str, Any]) -> str:
    value = row["answer"]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def asked_question(question: str, gold: str) -> str:
    """The question as the official harness asks it (parse_question): a true/false gold adds
    " (True or False)", a yes/no gold " (Yes or No)", then the text is stripped."""
    if gold.lower() in ("true", "false"):
        question += " (True or False)"
    if gold.lower() in ("yes", "no"):
        question += " (Yes or No)"
    return question.strip()


def read_local(name: str, data_dir: Path) -> list[dict[str, Any]]:
    """The rows of `<data_dir>/<name>/test.jsonl`; a DataError naming the layout when it is missing."""
    path = data_dir / name / "test.jsonl"
    if not path.exists():
        raise DataError(f"{path}: benchmark file not found (layout: <data_dir>/{name}/test.jsonl)")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class PaperBenchmark:
    """How to read one benchmark: its question field, gold rule, reference solution and sources."""

    name: str
    version: str
    question: str  # field holding the problem text
    gold: Callable[[dict[str, Any]], str]
    reference: str | None  # field holding a worked reference solution, if any
    hub: tuple[str, str | None, str]  # (dataset id, config, split) for the public source
    answer_type: str = "expression"
    reference_style: str = "final"  # "final": ends in its answer; "stated": a proof (stated_answers.py)

    def rows(self, data_dir: Path | None) -> list[dict[str, Any]]:
        local = data_dir or benchmark_dir()
        if local is not None:
            return read_local(self.name, local)
        from datasets import load_dataset  # the public source; needs network or a warm HF cache

        dataset_id, config, split = self.hub
        return list(load_dataset(dataset_id, config, split=split))

    def load(self, limit: int | None = None, data_dir: Path | None = None) -> list[BenchmarkItem]:
        items = []
        for index, row in enumerate(self.rows(data_dir)):
            question = row.get(self.question) or row.get("problem") or row.get("question") or ""
            gold = self.gold(row)
            items.append(BenchmarkItem(f"{self.name}-{index:05d}", asked_question(str(question), gold), gold))
        return items[:limit] if limit is not None else items

    def references(self, data_dir: Path | None = None) -> list[tuple[tuple[str, ...], str]]:
        """(reference solutions, gold) per problem, for checking the grader against the benchmark itself."""
        if self.reference is None:
            raise DataError(f"{self.name} has no reference solutions")
        out = []
        for row in self.rows(data_dir):
            text = row[self.reference]
            out.append((tuple(text) if isinstance(text, list) else (text,), self.gold(row)))
        return out


PAPER_BENCHMARKS = {
    b.name: b
    for b in (
        PaperBenchmark(
            "math", "3", "problem", _boxed_gold("solution"), "solution", ("EleutherAI/hendrycks_math", None, "test")
        ),
        PaperBenchmark(
            "math500", "3", "problem", lambda r: str(r["answer"]), "solution", ("HuggingFaceH4/MATH-500", None, "test")
        ),
        PaperBenchmark(
            "minerva_math", "3", "problem", _boxed_gold("solution"), "solution", ("math-ai/minervamath", None, "test")
        ),
        PaperBenchmark("gsm8k", "3", "question", _gsm8k_gold, "answer", ("openai/gsm8k", "main", "test")),
        PaperBenchmark(
            "olympiadbench",
            "3",
            "question",
            _olympiad_gold,
            "solution",
            ("Hothan/OlympiadBench", "OE_TO_maths_en_COMP", "train"),
            reference_style="stated",
        ),
        PaperBenchmark("aime24", "3", "problem", _number_gold, "solution", ("math-ai/aime24", None, "test")),
        PaperBenchmark("amc23", "3", "problem", _number_gold, None, ("math-ai/amc23", None, "test")),
        PaperBenchmark("theoremqa", "3", "problem", _number_gold, None, ("TIGER-Lab/TheoremQA", None, "test")),
    )
}

T = TypeVar("T")


@dataclass(frozen=True)
class MultipleChoiceBenchmark:
    """A multiple-choice benchmark as its official script runs it; the gold is a letter."""

    name: str
    version: str
    hub: tuple[str, str | None, str]
    item: Callable[[dict[str, Any], str], tuple[str, str]]  # (row, shuffle key) -> (question text, gold letter)
    prompt: str  # a registered prompt template (eval/prompts.py)
    stop: tuple[str, ...]  # the official run's stop strings (eval/protocol.py)
    extract: Callable[[str], str | None]  # the official run's letter extraction (eval/choice_extraction.py)
    guess: Callable[[BenchmarkItem], str] | None = None  # the letter scored when none is extracted
    seed: int = 0  # option shuffles, where the benchmark shuffles
    answer_type: str = "multiple_choice"

    def rows(self, data_dir: Path | None) -> list[dict[str, Any]]:
        """`<data_dir>/<name>/test.jsonl` when it exists (the hub's row fields), else the hub."""
        local = data_dir or benchmark_dir()
        if local is not None and (local / self.name / "test.jsonl").exists():
            return read_local(self.name, local)
        from datasets import load_dataset  # GPQA is gated: the user supplies hub access

        dataset_id, config, split = self.hub
        return list(load_dataset(dataset_id, config, split=split))

    def load(self, limit: int | None = None, data_dir: Path | None = None) -> list[BenchmarkItem]:
        items = self.items_from_rows(self.rows(data_dir))
        return items[:limit] if limit is not None else items

    def items_from_rows(self, rows: Iterable[dict[str, Any]]) -> list[BenchmarkItem]:
        """One item per row, its question laid out as the official script lays it out."""
        items = []
        for index, row in enumerate(rows):
            question, gold = self.item(row, f"{self.name}:{self.seed}:{index}")
            items.append(BenchmarkItem(f"{self.name}-{index:05d}", question, gold))
        return items


def gpqa_item(row: dict[str, Any], key: str) -> tuple[str, str]:
    """GPQA as the official data_loader writes it: "{Question}\\nAnswer Choices: (A) .. (B) .. (C) .. (D) ..",
    texts unstripped (no newline added after a question that ends in one).

    A named deviation: the official run orders the options with an unseeded random.sample, so its
    order cannot be reproduced; here they are shuffled by a seeded generator keyed by `key`.
    """
    texts = [row["Correct Answer"], *(row[f"Incorrect Answer {i}"] for i in (1, 2, 3))]
    order = list(range(len(texts)))
    random.Random(key).shuffle(order)
    choices = " ".join(f"({OPTION_LETTERS[i]}) {texts[j]}" for i, j in enumerate(order))
    separator = "" if row["Question"].endswith("\n") else "\n"
    return f"{row['Question']}{separator}Answer Choices: {choices}", OPTION_LETTERS[order.index(0)]


def mmlu_pro_item(row: dict[str, Any], key: str) -> tuple[str, str]:
    """MMLU-Pro as the official format_cot_example lays it out: "{question}\\nOptions:\\nA. ..\\nB. ..", in the
    original order with the "N/A" options removed. The gold is the row's answer letter (answer_index),
    which is what the official script scores against. `key` is unused: nothing is shuffled."""
    options = [option for option in row["options"] if option != "N/A"]
    lines = "\n".join(f"{OPTION_LETTERS[i]}. {option}" for i, option in enumerate(options))
    return f"{row['question']}\nOptions:\n{lines}", OPTION_LETTERS[row["answer_index"]]


def option_count(question: str) -> int:
    """How many options an MMLU-Pro question lists (the "A. ", "B. ", ... lines after its last "Options:")."""
    count = 0
    for line in question.rsplit("\nOptions:\n", 1)[-1].split("\n"):
        if count < len(OPTION_LETTERS) and line.startswith(f"{OPTION_LETTERS[count]}. "):
            count += 1
    return count


def mmlu_pro_item_guess(item: BenchmarkItem) -> str:
    """The official script's guess for `item` when its output names no letter (choice_extraction.py)."""
    return mmlu_pro_guess(option_count(item.question))


MULTIPLE_CHOICE = {
    b.name: b
    for b in (
        MultipleChoiceBenchmark(
            "gpqa_diamond",
            "3",
            ("Idavidrein/gpqa", "gpqa_diamond", "train"),
            gpqa_item,
            "gpqa-qwen",
            GPQA_STOP,
            gpqa_choice,
        ),
        MultipleChoiceBenchmark(
            "mmlu_pro",
            "3",
            ("TIGER-Lab/MMLU-Pro", None, "test"),
            mmlu_pro_item,
            "mmlu-pro-cot",
            MMLU_PRO_STOP,
            mmlu_pro_choice,
            guess=mmlu_pro_item_guess,
        ),
    )
}


def _register(benchmark: PaperBenchmark | MultipleChoiceBenchmark) -> None:
    if isinstance(benchmark, MultipleChoiceBenchmark):
        entry = Benchmark(
            benchmark.name,
            benchmark.version,
            benchmark.load,
            prompt=benchmark.prompt,
            answer_type=benchmark.answer_type,
            stop=benchmark.stop,
            extract=benchmark.extract,
            guess=benchmark.guess,
        )
    else:
        entry = Benchmark(benchmark.name, benchmark.version, benchmark.load, answer_type=benchmark.answer_type)
    benchmarks.add(benchmark.name, entry)


for _paper in PAPER_BENCHMARKS.values():
    _register(_paper)
for _choice in MULTIPLE_CHOICE.values():
    _register(_choice)


def shuffled_pairs(pairs: list[tuple[T, str]], seed: int = 0) -> list[tuple[T, str]]:
    """Each reference solution paired with *another* problem's gold (a derangement by rotation)."""
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    return [(pairs[order[i]][0], pairs[order[(i + 1) % len(order)]][1]) for i in range(len(order))]


@dataclass(frozen=True)
class ReferenceCheck:
    """How the grader scores a benchmark's own reference solutions, and solutions to other problems:
    one verdict per row, against its own gold and against another problem's gold (a derangement)."""

    name: str
    own_verdicts: tuple[bool, ...]
    other_verdicts: tuple[bool, ...]

    @property
    def n(self) -> int:
        return len(self.own_verdicts)

    @property
    def own(self) -> float:
        """Fraction of reference solutions graded correct against their own gold."""
        return sum(self.own_verdicts) / self.n

    @property
    def other(self) -> float:
        """The same against another problem's gold."""
        return sum(self.other_verdicts) / self.n

    @property
    def missed(self) -> tuple[int, ...]:
        """Row indices whose own reference was graded wrong."""
        return tuple(i for i, ok in enumerate(self.own_verdicts) if not ok)


def check_references(
    name: str,
    data_dir: Path | None = None,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT_S,
    grader: str = DEFAULT_GRADER,
) -> ReferenceCheck:
    """Grade every reference solution of `name` against its own gold and against another's, by
    `grader`'s rules (graders.GRADERS)."""
    from cft_lib.eval.stated_answers import states_answer

    benchmark = PAPER_BENCHMARKS[name]
    pairs = benchmark.references(data_dir)
    safe = SafeGrader(timeout, grader)
    try:

        def correct(solutions: tuple[str, ...], gold: str) -> bool:
            if benchmark.reference_style == "stated":
                return states_answer(solutions, gold, safe.equivalent)
            return safe.equivalent(extract_answer("\n".join(solutions), benchmark.answer_type, grader), gold)

        own = tuple(correct(solutions, gold) for solutions, gold in pairs)
        other = tuple(correct(solutions, gold) for solutions, gold in shuffled_pairs(pairs, seed))
    finally:
        safe.close()
    return ReferenceCheck(name, own, other)
