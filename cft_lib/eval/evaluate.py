"""Evaluate a model on benchmarks: prompt → generate → extract → grade → aggregate.

Returns per-benchmark accuracy with n and a 95% Wilson interval, and per-problem records
(question, output, extracted, gold, correct) for the run's artifacts. Critique benchmarks
(answer type "verdict": the micro-world's held-out critique set) are graded on the verdict and
scored step by step as well (eval/critique_skill.py); they are not part of the solving average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cft_lib.eval.benchmarks import benchmarks
from cft_lib.eval.critique_skill import critique_metrics, score_critique
from cft_lib.eval.grading import extract_answer, is_equivalent
from cft_lib.eval.prompts import prompt_templates
from cft_lib.llm.base import GenerationBackend, GenerationConfig


@dataclass(frozen=True)
class EvalConfig:
    benchmarks: tuple[str, ...] = ("micro-easy", "micro-medium", "micro-hard")
    limit: int | None = None  # first N items of each benchmark (quick looks)
    generation: GenerationConfig = field(default_factory=lambda: GenerationConfig(max_new_tokens=160))

    def check(self) -> None:
        """Unknown benchmark names fail here, before any run starts (ConfigError lists the known ones)."""
        for name in self.benchmarks:
            benchmarks.get(name)


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
        """MLflow metric keys as in DESIGN.md: <benchmark>/accuracy, avg/accuracy, with n and CI,
        and critique/... skill metrics where a critique benchmark was evaluated."""
        out: dict[str, float] = {}
        for score in self.scores:
            low, high = score.wilson_interval()
            out |= {f"{score.benchmark}/accuracy": score.accuracy, f"{score.benchmark}/n": score.n,
                    f"{score.benchmark}/ci95_low": low, f"{score.benchmark}/ci95_high": high}
        if self.solve_scores:
            out["avg/accuracy"] = self.average
        skill = [r["skill"] for r in self.records if r.get("skill") is not None]
        if skill:
            out |= {k: v for k, v in critique_metrics(skill).items() if v == v}  # NaN: no items of that kind
        return out


def evaluate(backend: GenerationBackend, config: EvalConfig) -> EvalResult:
    """Run every benchmark of `config` through `backend` in one generation call."""
    items, conversations = [], []
    for name in config.benchmarks:
        benchmark = benchmarks.get(name)
        template = prompt_templates.get(benchmark.prompt)
        for item in benchmark.load(config.limit):
            items.append((name, item))
            conversations.append(template.messages(item.question))
    outputs = backend.generate(conversations, config.generation)
    records, totals = [], {name: [0, 0] for name in config.benchmarks}
    for (name, item), output in zip(items, outputs, strict=True):
        extracted = extract_answer(output, name)
        correct = is_equivalent(extracted, item.answer, name)
        totals[name][0] += 1
        totals[name][1] += int(correct)
        record = {"benchmark": name, "id": item.id, "question": item.question, "output": output,
                  "extracted": extracted, "gold": item.answer, "correct": correct}
        if benchmarks.get(name).answer_type == "verdict":
            record["skill"] = score_critique(item.question, output)
        records.append(record)
    scores = [BenchmarkScore(name, n, c) for name, (n, c) in totals.items()]
    return EvalResult(scores, records)
