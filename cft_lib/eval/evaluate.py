"""Evaluate a model on benchmarks: prompt → generate → extract → grade → aggregate.

Returns per-benchmark accuracy with n and a 95% Wilson interval, and per-problem records
(question, output, extracted, gold, correct) for the run's artifacts. Critique benchmarks
(answer type "verdict": the micro-world's held-out critique set) are graded on the verdict and
scored step by step as well (eval/critique_skill.py); they are not part of the solving average.
Solving benchmarks are answered in the configured inference mode (eval/inference.py: direct, or
the paper's self-critique modes); critique benchmarks always directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cft_lib.data.records import BenchmarkItem
from cft_lib.eval.benchmarks import benchmarks
from cft_lib.eval.critique_skill import critique_metrics, score_critique
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

    def check(self) -> None:
        """Unknown benchmark names fail here, before any run starts (ConfigError lists the known ones)."""
        for name in self.benchmarks:
            benchmarks.get(name)
        self.inference.check()


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
    inference mode, critique benchmarks directly (one generation call each when direct)."""
    solving: list[tuple[str, PromptTemplate, BenchmarkItem]] = []
    judging: list[tuple[str, PromptTemplate, BenchmarkItem]] = []
    for name in config.benchmarks:
        benchmark = benchmarks.get(name)
        template = prompt_templates.get(benchmark.prompt)
        for item in benchmark.load(config.limit):
            (judging if benchmark.answer_type == "verdict" else solving).append((name, template, item))
    direct = InferenceConfig()
    items = solving + judging
    if config.inference.mode == "direct":
        answered = answer(backend, [(t, i.question) for _, t, i in items], config.generation, direct)
    else:
        answered = answer(
            backend, [(t, i.question) for _, t, i in solving], config.generation, config.inference
        ) + answer(backend, [(t, i.question) for _, t, i in judging], config.generation, direct)
    records, totals = [], {name: [0, 0] for name in config.benchmarks}
    for (name, _, item), result in zip(items, answered, strict=True):
        record = _graded(name, item, result)
        totals[name][0] += 1
        totals[name][1] += int(record["correct"])
        records.append(record)
    records.sort(key=lambda r: config.benchmarks.index(r["benchmark"]))  # benchmark order, as before
    scores = [BenchmarkScore(name, n, c) for name, (n, c) in totals.items()]
    return EvalResult(scores, records)


def _graded(name: str, item, result: Answered) -> dict:
    """One problem's record: the graded output and, under self-critique, every attempt graded too."""
    extracted = extract_answer(result.output, benchmarks.get(name).answer_type)
    record = {
        "benchmark": name,
        "id": item.id,
        "question": item.question,
        "output": result.output,
        "extracted": extracted,
        "gold": item.answer,
        "correct": is_equivalent(extracted, item.answer),
    }
    if benchmarks.get(name).answer_type == "verdict":
        record["skill"] = score_critique(item.question, result.output)
    trail = result.trail()
    if trail:
        trail["attempt_correct"] = [
            is_equivalent(extract_answer(o, benchmarks.get(name).answer_type), item.answer)
            for o in trail["attempt_outputs"]
        ]
        record |= trail
    return record
