"""Evaluate a model on benchmarks: prompt → generate → extract → grade → aggregate.

Returns per-benchmark accuracy with n and a 95% Wilson interval, and per-problem records
(question, output, extracted, gold, correct) for the run's artifacts. Critique benchmarks
(answer type "verdict": the micro-world's held-out critique set) are graded on the verdict and
scored step by step as well (eval/critique_skill.py); they are not part of the solving average.
Solving benchmarks are answered in the configured inference mode (eval/inference.py: direct, or
the paper's self-critique modes); critique benchmarks always directly.

Each benchmark is prompted with its template unless `prompt_overrides` maps it to another (the
official run prompts DeepSeek-Math-7B with its raw "deepseek-math" prompt), generates with the
configured sampling plus its own stop strings (GPQA, MMLU-Pro), and is read by its own extraction
where it has one; items that share a sampling config are generated in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from cft_lib.data.records import BenchmarkItem
from cft_lib.errors import ConfigError
from cft_lib.eval.benchmark_registry import Benchmark
from cft_lib.eval.benchmarks import benchmarks
from cft_lib.eval.critique_skill import critique_metrics, score_critique
from cft_lib.eval.graders import DEFAULT_GRADER, GRADERS
from cft_lib.eval.grading import extract_answer, is_equivalent
from cft_lib.eval.inference import Answered, InferenceConfig, answer
from cft_lib.eval.prompts import PromptTemplate, prompt_templates
from cft_lib.fingerprint import OMIT_IF_DEFAULT
from cft_lib.llm.base import GenerationBackend, GenerationConfig


@dataclass(frozen=True)
class EvalConfig:
    benchmarks: tuple[str, ...] = ("micro-easy", "micro-medium", "micro-hard")
    limit: int | None = None  # first N items of each benchmark (quick looks)
    generation: GenerationConfig = field(default_factory=lambda: GenerationConfig(max_new_tokens=160))
    inference: InferenceConfig = field(default_factory=InferenceConfig, metadata=OMIT_IF_DEFAULT)
    # (template, template to use instead) pairs, e.g. (("qwen25-math-cot", "deepseek-math"),): a base
    # model's own evaluation prompt (eval/prompts.py); also applied to self-critique's prompts
    prompt_overrides: tuple[tuple[str, str], ...] = field(default=(), metadata=OMIT_IF_DEFAULT)
    # how answers are read and compared (eval/graders.py): math-verify | qwen25-math (the official toolkit's)
    grader: str = field(default="math-verify", metadata=OMIT_IF_DEFAULT)

    def check(self) -> None:
        """Unknown benchmark or template names fail here, before any run starts (ConfigError lists the
        known ones)."""
        for name in self.benchmarks:
            benchmarks.get(name)
        for template, instead in self.prompt_overrides:
            prompt_templates.get(template)
            prompt_templates.get(instead)
        if self.grader not in GRADERS:
            raise ConfigError(f"grader {self.grader!r}: not one of {', '.join(GRADERS)}")
        self.inference.check()

    def prompt_for(self, name: str) -> str:
        """The template benchmark `name` is prompted with: its own, unless prompt_overrides maps it."""
        return dict(self.prompt_overrides).get(benchmarks.get(name).prompt, benchmarks.get(name).prompt)

    def generation_for(self, name: str) -> GenerationConfig:
        """The sampling for benchmark `name`: the configured one plus the benchmark's own stop strings."""
        extra = tuple(s for s in benchmarks.get(name).stop if s not in self.generation.stop)
        return replace(self.generation, stop=self.generation.stop + extra) if extra else self.generation


@dataclass(frozen=True)
class BenchmarkScore:
    benchmark: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def wilson_interval(self, z: float = 1.96) -> tuple[float, float]:
        if not self.n:
            return (0.0, 0.0)
        p, n = self.accuracy, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class EvalResult:
    scores: list[BenchmarkScore]
    records: list[dict]

    @property
    def solve_scores(self) -> list[BenchmarkScore]:
        """Scores of solving benchmarks (critique benchmarks are judged, not solved)."""
        return [s for s in self.scores if benchmarks.get(s.benchmark).answer_type != "verdict"]

    @property
    def average(self) -> float:
        solve = self.solve_scores
        return sum(s.accuracy for s in solve) / len(solve) if solve else 0.0

    def metrics(self) -> dict[str, float]:
        """MLflow metric keys (docs/DESIGN.md): <benchmark>/accuracy, avg/accuracy, with n and CI,
        and critique/... skill metrics where a critique benchmark was evaluated."""
        out: dict[str, float] = {}
        for score in self.scores:
            low, high = score.wilson_interval()
            out |= {
                f"{score.benchmark}/accuracy": score.accuracy,
                f"{score.benchmark}/n": score.n,
                f"{score.benchmark}/ci95_low": low,
                f"{score.benchmark}/ci95_high": high,
            }
        if self.solve_scores:
            out["avg/accuracy"] = self.average
        skill = [r["skill"] for r in self.records if r.get("skill") is not None]
        if skill:
            out |= {k: v for k, v in critique_metrics(skill).items() if v == v}  # NaN: no items of that kind
        out |= self_critique_metrics(self.records)
        return out


def self_critique_metrics(records: list[dict]) -> dict[str, float]:
    """Two-stage self-critique, per benchmark and overall: mean attempts, the share of problems whose
    answer was judged correct, and the judge's accuracy (its verdict on every attempt against the gold)."""
    out: dict[str, float] = {}
    trails = [r for r in records if r.get("attempts")]
    for name in [None, *dict.fromkeys(r["benchmark"] for r in trails)]:
        rows = [r for r in trails if name is None or r["benchmark"] == name]
        if not rows:
            continue
        prefix = "selfcritique" if name is None else f"{name}/selfcritique"
        judged = [(v is True) == ok for r in rows for v, ok in zip(r["verdicts"], r["attempt_correct"], strict=True)]
        out |= {
            f"{prefix}/mean_attempts": sum(r["attempts"] for r in rows) / len(rows),
            f"{prefix}/judged_correct": sum(r["judged_correct"] for r in rows) / len(rows),
            f"{prefix}/judge_accuracy": sum(judged) / len(judged),
            f"{prefix}/no_verdict": sum(v is None for r in rows for v in r["verdicts"]) / len(judged),
        }
    return out


def evaluate(backend: GenerationBackend, config: EvalConfig) -> EvalResult:
    """Run every benchmark of `config` through `backend`: solving benchmarks in the configured
    inference mode, critique benchmarks directly; one generation call per sampling config (per
    round under self-critique)."""
    problems: list[tuple[str, PromptTemplate, BenchmarkItem]] = []
    for name in config.benchmarks:
        template = prompt_templates.get(config.prompt_for(name))
        problems += [(name, template, item) for item in benchmarks.get(name).load(config.limit)]
    answered = _answer(backend, problems, config)
    records, totals = [], {name: [0, 0] for name in config.benchmarks}
    for (name, _, item), result in zip(problems, answered, strict=True):
        record = _graded(name, item, result, config.grader)
        totals[name][0] += 1
        totals[name][1] += int(record["correct"])
        records.append(record)
    scores = [BenchmarkScore(name, n, c) for name, (n, c) in totals.items()]
    return EvalResult(scores, records)


def _answer(
    backend: GenerationBackend, problems: list[tuple[str, PromptTemplate, BenchmarkItem]], config: EvalConfig
) -> list[Answered]:
    """Answers in the order of `problems`, generated in groups that share a sampling config and an
    inference mode (critique benchmarks: always direct), so each `answer` call has one of each."""
    groups: dict[tuple[GenerationConfig, InferenceConfig], list[int]] = {}
    for index, (name, _, _) in enumerate(problems):
        verdict = benchmarks.get(name).answer_type == "verdict"
        key = (config.generation_for(name), InferenceConfig() if verdict else config.inference)
        groups.setdefault(key, []).append(index)
    answered: dict[int, Answered] = {}
    for (generation, inference), indices in groups.items():
        asked = [(problems[i][1], problems[i][2].question) for i in indices]
        results = answer(backend, asked, generation, inference, config.prompt_overrides)
        answered |= dict(zip(indices, results, strict=True))
    return [answered[i] for i in range(len(problems))]


def extracted_answer(
    benchmark: Benchmark, item: BenchmarkItem, output: str, grader: str = DEFAULT_GRADER
) -> tuple[str | None, bool]:
    """(answer, guessed): the benchmark's own extraction where it has one, else its answer type's by
    `grader`'s rules; an output with no answer scores the benchmark's guess where it has one (MMLU-Pro,
    as officially)."""
    if benchmark.extract:
        extracted = benchmark.extract(output)
    else:
        extracted = extract_answer(output, benchmark.answer_type, grader)
    if extracted is None and benchmark.guess is not None:
        return benchmark.guess(item), True
    return extracted, False


def _graded(name: str, item: BenchmarkItem, result: Answered, grader: str) -> dict:
    """One problem's record: the graded output and, under self-critique, every attempt graded too."""
    benchmark = benchmarks.get(name)
    extracted, guessed = extracted_answer(benchmark, item, result.output, grader)
    record: dict[str, Any] = {
        "benchmark": name,
        "id": item.id,
        "question": item.question,
        "output": result.output,
        "extracted": extracted,
        "gold": item.answer,
        "correct": is_equivalent(extracted, item.answer, grader),
    }
    if benchmark.guess is not None:
        record["guessed"] = guessed  # the answer is the benchmark's guess, not the model's
    if benchmark.answer_type == "verdict":
        record["skill"] = score_critique(item.question, result.output)
    trail = result.trail()
    if trail:
        trail["attempt_correct"] = [
            is_equivalent(extracted_answer(benchmark, item, o, grader)[0], item.answer, grader)
            for o in trail["attempt_outputs"]
        ]
        record |= trail
    return record
