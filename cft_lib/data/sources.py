"""Dataset sources by name, and the micro-world's held-out benchmark and validation splits.

Three micro-world sources stand in for the paper's datasets (Section 2, Table 6):
- micro-web    ~ WebInstruct: every phrasing, about half the responses wrong;
- micro-meta   ~ MetaMathQA: one phrasing per operation, cleaner responses;
- micro-numina ~ NuminaMath: harder problems (3-4 steps, larger values).

Disjointness is by construction: a question's hash bucket decides which pool it may belong to
(test, validation or training), so no benchmark or validation question can appear in a source.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from cft_lib.data.microworld import Difficulty, Problem, render_solution, sample_problem
from cft_lib.data.noise import sample_response
from cft_lib.data.records import BenchmarkItem, SourceExample
from cft_lib.registry import Registry

POOL_BUCKETS = 20
TEST_BUCKETS = frozenset({0, 1})
VALIDATION_BUCKETS = frozenset({2})


def pool_of(question: str) -> str:
    """'test', 'validation' or 'train': the only pool this question may ever be drawn into."""
    bucket = int(hashlib.sha256(question.encode()).hexdigest()[:8], 16) % POOL_BUCKETS
    if bucket in TEST_BUCKETS:
        return "test"
    if bucket in VALIDATION_BUCKETS:
        return "validation"
    return "train"


@dataclass(frozen=True)
class MicroSource:
    """How a micro-world source draws its problems and how noisy its responses are."""

    name: str
    description: str
    difficulty: Difficulty
    phrasings: int  # phrasing ids used per operation (1 = the plainest only)
    response_error_rate: float  # share of responses with one propagated error

    def sample(self, size: int, seed: int) -> list[tuple[Problem, SourceExample]]:
        """`size` distinct training-pool problems with one response each, reproducible by seed."""
        rng = random.Random(f"{self.name}:{seed}")
        seen: set[str] = set()
        out = []
        while len(out) < size:
            problem = sample_problem(rng, self.difficulty, self.phrasings)
            question = problem.question
            if question in seen or pool_of(question) != "train":
                continue
            seen.add(question)
            solution, is_right = sample_response(problem, rng, self.response_error_rate)
            example = SourceExample(
                id=f"{self.name}-{seed}-{len(out):06d}",
                question=question,
                response=render_solution(solution),
                answer=str(problem.answer),
                meta={"response_correct": is_right, "steps": len(problem.steps)},
            )
            out.append((problem, example))
        return out


micro_sources: Registry[MicroSource] = Registry("micro-world source")
for _source in (
    MicroSource("micro-web", "diverse phrasings, about half the responses wrong", Difficulty(), 5, 0.5),
    MicroSource("micro-meta", "one phrasing per operation, cleaner responses", Difficulty(), 1, 0.2),
    MicroSource(
        "micro-numina", "harder problems: 3-4 steps, larger values",
        Difficulty(min_steps=3, max_steps=4, max_start=50, max_factor=5, max_value=150), 3, 0.3,
    ),
):
    micro_sources.add(_source.name, _source)


@dataclass(frozen=True)
class MicroSplit:
    """A held-out split: problems from the test or validation pool with a given step range."""

    name: str
    pool: str
    min_steps: int
    max_steps: int
    size: int = 200


# Benchmarks by difficulty (the analogue of GSM8K < MATH < OlympiadBench) and a validation split
# for checkpoint selection (the analogue of MATH-500).
micro_splits: Registry[MicroSplit] = Registry("micro-world split")
for _split in (
    MicroSplit("micro-easy", "test", 1, 2),
    MicroSplit("micro-medium", "test", 3, 3),
    MicroSplit("micro-hard", "test", 4, 4),
    MicroSplit("micro-val", "validation", 1, 4),
):
    micro_splits.add(_split.name, _split)


def load_micro_split(name: str, size: int | None = None) -> list[BenchmarkItem]:
    """The split's problems (the first `size` of them); the same for everyone, forever."""
    split = micro_splits.get(name)
    n = split.size if size is None else min(size, split.size)
    rng = random.Random(f"split:{split.name}")
    difficulty = Difficulty(min_steps=split.min_steps, max_steps=split.max_steps)
    seen: set[str] = set()
    items: list[BenchmarkItem] = []
    while len(items) < split.size:
        problem = sample_problem(rng, difficulty, phrasings=5)
        question = problem.question
        if question in seen or pool_of(question) != split.pool:
            continue
        seen.add(question)
        items.append(BenchmarkItem(f"{split.name}-{len(items):04d}", question, str(problem.answer)))
    return items[:n]


def load_micro_critique_split(size: int | None = None, total: int = 200) -> list[BenchmarkItem]:
    """Held-out [question; response] pairs, half of them wrong, graded on the critique's verdict.

    Not a paper benchmark: it checks whether a model can *judge* solutions (the skill CFT trains),
    which the paper's solve-only benchmarks do not show. Gold is "right" or "wrong".
    """
    from cft_lib.data.formats import cft_record

    rng = random.Random("split:micro-critique")
    seen: set[str] = set()
    items: list[BenchmarkItem] = []
    while len(items) < total:
        problem = sample_problem(rng, Difficulty(), phrasings=5)
        question = problem.question
        if question in seen or pool_of(question) != "test":
            continue
        seen.add(question)
        solution, is_right = sample_response(problem, rng, 0.5)
        prompt = cft_record("", question, render_solution(solution), "", {}).user_message
        items.append(BenchmarkItem(f"micro-critique-{len(items):04d}", prompt, "right" if is_right else "wrong"))
    return items[: total if size is None else min(size, total)]
