"""The paper's benchmarks as data: where each loads from and how its gold answer is read.

Each loads from a local directory laid out like `<data_dir>/<name>/test.jsonl` (the layout of the
Qwen2.5-Math / CFT evaluation harness; pass `--data-dir` or set CFT_BENCHMARK_DIR) or, failing
that, from its public hub source through `datasets`. Gold answers follow the harness's rules:
GSM8K's "#### N", MATH's and Minerva's last \\boxed{} in the solution, OlympiadBench's
final_answer list, AMC23's float answer as an integer where it is one.

Checked against reference: local files of math, math500, minerva_math, gsm8k, olympiadbench,
aime24, amc23, theoremqa (tests/eval/test_paper_benchmarks.py grades each reference solution
against its gold). Not checked here (no hub access): the hub fallbacks and their field names,
GPQA-Diamond and MMLU-Pro. Bump a benchmark's version whenever a change here or in its grading can
move scores (2: formatting commands around a whole answer are unwrapped, `\\textbf{(073)}`).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cft_lib.data.records import BenchmarkItem
from cft_lib.errors import DataError
from cft_lib.eval.benchmark_registry import Benchmark, benchmarks
from cft_lib.eval.grading import DEFAULT_TIMEOUT_S, SafeGrader, extract_answer, last_boxed


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
            path = local / self.name / "test.jsonl"
            if not path.exists():
                raise DataError(f"{path}: benchmark file not found (layout: <data_dir>/{self.name}/test.jsonl)")
            with open(path, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        from datasets import load_dataset  # the public source; needs network or a warm HF cache

        dataset_id, config, split = self.hub
        return list(load_dataset(dataset_id, config, split=split))

    def load(self, limit: int | None = None, data_dir: Path | None = None) -> list[BenchmarkItem]:
        items = []
        for index, row in enumerate(self.rows(data_dir)):
            question = row.get(self.question) or row.get("problem") or row.get("question") or ""
            items.append(BenchmarkItem(f"{self.name}-{index:05d}", str(question), self.gold(row)))
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
            "math", "2", "problem", _boxed_gold("solution"), "solution", ("EleutherAI/hendrycks_math", None, "test")
        ),
        PaperBenchmark(
            "math500", "2", "problem", lambda r: str(r["answer"]), "solution", ("HuggingFaceH4/MATH-500", None, "test")
        ),
        PaperBenchmark(
            "minerva_math", "2", "problem", _boxed_gold("solution"), "solution", ("math-ai/minervamath", None, "test")
        ),
        PaperBenchmark("gsm8k", "2", "question", _gsm8k_gold, "answer", ("openai/gsm8k", "main", "test")),
        PaperBenchmark(
            "olympiadbench",
            "2",
            "question",
            _olympiad_gold,
            "solution",
            ("Hothan/OlympiadBench", "OE_TO_maths_en_COMP", "train"),
            reference_style="stated",
        ),
        PaperBenchmark("aime24", "2", "problem", _number_gold, "solution", ("math-ai/aime24", None, "test")),
        PaperBenchmark("amc23", "2", "problem", _number_gold, None, ("math-ai/amc23", None, "test")),
        PaperBenchmark("theoremqa", "2", "problem", _number_gold, None, ("TIGER-Lab/TheoremQA", None, "test")),
    )
}

T = TypeVar("T")
LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class MultipleChoiceBenchmark:
    """A multiple-choice benchmark (hub only): options are shuffled by seed, gold is a letter."""

    name: str
    version: str
    hub: tuple[str, str | None, str]
    read: Callable[[dict[str, Any]], tuple[str, str, list[str]]]  # row -> (question, correct, other options)
    seed: int = 0
    answer_type: str = "multiple_choice"

    def load(self, limit: int | None = None, data_dir: Path | None = None) -> list[BenchmarkItem]:
        from datasets import load_dataset  # GPQA is gated: the user supplies hub access

        dataset_id, config, split = self.hub
        items = self.items_from_rows(load_dataset(dataset_id, config, split=split))
        return items[:limit] if limit is not None else items

    def items_from_rows(self, rows) -> list[BenchmarkItem]:
        """Questions with seeded option order; the gold is the letter where the correct option landed."""
        items = []
        for index, row in enumerate(rows):
            question, correct, others = self.read(row)
            options = [correct, *others]
            random.Random(f"{self.name}:{self.seed}:{index}").shuffle(options)
            lines = "\n".join(f"({LETTERS[i]}) {option}" for i, option in enumerate(options))
            items.append(
                BenchmarkItem(f"{self.name}-{index:05d}", f"{question}\n\n{lines}", LETTERS[options.index(correct)])
            )
        return items


def _gpqa_row(row: dict[str, Any]) -> tuple[str, str, list[str]]:
    return (
        row["Question"].strip(),
        row["Correct Answer"].strip(),
        [row[f"Incorrect Answer {i}"].strip() for i in (1, 2, 3)],
    )


def _mmlu_pro_row(row: dict[str, Any]) -> tuple[str, str, list[str]]:
    options = [o for o in row["options"] if o != "N/A"]
    correct = row["options"][row["answer_index"]]
    return row["question"], correct, [o for o in options if o != correct]


MULTIPLE_CHOICE = {
    b.name: b
    for b in (
        MultipleChoiceBenchmark("gpqa_diamond", "2", ("Idavidrein/gpqa", "gpqa_diamond", "train"), _gpqa_row),
        MultipleChoiceBenchmark("mmlu_pro", "2", ("TIGER-Lab/MMLU-Pro", None, "test"), _mmlu_pro_row),
    )
}


def _register(benchmark: PaperBenchmark | MultipleChoiceBenchmark) -> None:
    prompt = "multiple-choice-cot" if benchmark.answer_type == "multiple_choice" else "qwen25-math-cot"
    benchmarks.add(
        benchmark.name,
        Benchmark(benchmark.name, benchmark.version, benchmark.load, prompt=prompt, answer_type=benchmark.answer_type),
    )


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
    """How the grader scores a benchmark's own reference solutions, and solutions to other problems."""

    name: str
    n: int
    own: float  # fraction of reference solutions graded correct against their own gold
    other: float  # the same against another problem's gold (a derangement)
    missed: tuple[int, ...]  # row indices whose own reference was graded wrong


def check_references(
    name: str, data_dir: Path | None = None, seed: int = 0, timeout: float = DEFAULT_TIMEOUT_S
) -> ReferenceCheck:
    """Grade every reference solution of `name` against its own gold and against another's."""
    from cft_lib.eval.stated_answers import states_answer

    benchmark = PAPER_BENCHMARKS[name]
    pairs = benchmark.references(data_dir)
    grader = SafeGrader(timeout)
    try:

        def correct(solutions: tuple[str, ...], gold: str) -> bool:
            if benchmark.reference_style == "stated":
                return states_answer(solutions, gold, grader.equivalent)
            return grader.equivalent(extract_answer("\n".join(solutions), benchmark.answer_type), gold)

        own = [correct(solutions, gold) for solutions, gold in pairs]
        other = [correct(solutions, gold) for solutions, gold in shuffled_pairs(pairs, seed)]
    finally:
        grader.close()
    return ReferenceCheck(
        name, len(pairs), sum(own) / len(own), sum(other) / len(other), tuple(i for i, ok in enumerate(own) if not ok)
    )
