"""Dataset sources by name, and the micro-world's held-out benchmark and validation splits.

Three micro-world sources stand in for the paper's datasets (Section 2, Table 6):
- micro-web    ~ WebInstruct: every phrasing, 1-6 steps with distractors, about half the responses wrong;
- micro-meta   ~ MetaMathQA: one phrasing per operation, 1-4 steps, no distractors, cleaner responses;
- micro-numina ~ NuminaMath: harder problems (4-6 steps with distractors), 30% wrong.

Disjointness is by construction: a question's hash bucket decides which pool it may belong to
(test, validation or training), so no benchmark or validation question can appear in a source.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from cft_lib.data.microworld import (
    Difficulty,
    Problem,
    correct_solution,
    parse_solution,
    render_solution,
    sample_problem,
)
from cft_lib.data.noise import ERROR_KINDS, error_kind, noisy_solution, sample_response
from cft_lib.data.records import BenchmarkItem, SourceExample
from cft_lib.registry import Registry

# Problems per test split. Why 500: a paired difference between two models on the same 1,500
# problems (three splits) has a 95% CI of about +-3 points on the average when ~30% of problems are
# discordant, so a 5-point difference is visible; 200 per split (version 1) gave +-6 per split.
SPLIT_SIZE = 500
CRITIQUE_SIZE = 400  # held-out critique set: 200 right responses and 50 of each error kind

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
        out: list[tuple[Problem, SourceExample]] = []
        while len(out) < size:
            problem = sample_problem(rng, self.difficulty, self.phrasings)
            question = problem.question
            if question in seen or pool_of(question) != "train":
                continue
            seen.add(question)
            solution, kind = sample_response(problem, rng, self.response_error_rate)
            example = SourceExample(
                id=f"{self.name}-{seed}-{len(out):06d}",
                question=question,
                response=render_solution(solution),
                answer=str(problem.answer),
                meta={"response_correct": kind is None, "error_kind": kind, "steps": len(problem.steps)},
            )
            out.append((problem, example))
        return out


micro_sources: Registry[MicroSource] = Registry("micro-world source")
for _source in (
    MicroSource(
        "micro-web",
        "diverse phrasings, 1-6 steps with distractors, about half the responses wrong",
        Difficulty(min_steps=1, max_steps=6, max_distractors=2),
        5,
        0.5,
    ),
    MicroSource(
        "micro-meta",
        "one phrasing per operation, 1-4 steps, no distractors, cleaner responses",
        Difficulty(min_steps=1, max_steps=4, max_distractors=0),
        1,
        0.2,
    ),
    MicroSource(
        "micro-numina",
        "harder problems: 4-6 steps with distractors",
        Difficulty(min_steps=4, max_steps=6, max_distractors=2),
        3,
        0.3,
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
    size: int = SPLIT_SIZE


# Benchmarks by difficulty (the analogue of GSM8K < MATH < OlympiadBench) and a validation split
# for checkpoint selection (the analogue of MATH-500). Every split has distractors and all phrasings.
micro_splits: Registry[MicroSplit] = Registry("micro-world split")
for _split in (
    MicroSplit("micro-easy", "test", 1, 2),
    MicroSplit("micro-medium", "test", 3, 4),
    MicroSplit("micro-hard", "test", 5, 6),
    MicroSplit("micro-val", "validation", 1, 6, size=400),
):
    micro_splits.add(_split.name, _split)


def load_micro_split(name: str, size: int | None = None) -> list[BenchmarkItem]:
    """The split's problems (the first `size` of them); the same for everyone, forever."""
    split = micro_splits.get(name)
    n = split.size if size is None else min(size, split.size)
    rng = random.Random(f"split:{split.name}")
    difficulty = Difficulty(min_steps=split.min_steps, max_steps=split.max_steps, max_distractors=2)
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


def load_micro_critique_split(size: int | None = None) -> list[BenchmarkItem]:
    """Held-out [question; response] pairs graded on the critique (the skill CFT trains).

    Balanced: half the responses right, the other half split evenly over the four error kinds,
    interleaved so that any prefix (`size`) stays close to balanced. Not a paper benchmark: the
    paper's solve-only benchmarks do not show whether a model can judge a solution. Gold is
    "right" or "wrong"; eval/critique_skill.py scores the steps as well.
    """
    from cft_lib.data.formats import cft_record

    rng = random.Random("split:micro-critique")
    quota = {None: CRITIQUE_SIZE // 2} | {kind: CRITIQUE_SIZE // 8 for kind in ERROR_KINDS}
    pending: dict[str | None, list[str]] = {kind: [] for kind in quota}
    seen: set[str] = set()
    while any(len(pending[k]) < n for k, n in quota.items()):
        problem = sample_problem(rng, Difficulty(min_steps=1, max_steps=6, max_distractors=2), phrasings=5)
        question = problem.question
        if question in seen or pool_of(question) != "test":
            continue
        seen.add(question)
        wanted = [k for k, n in quota.items() if len(pending[k]) < n]
        target = rng.choice(wanted)
        solution = render_solution(problem_solution(problem, rng, target))
        kind = target if target is None else error_kind(problem, parse_solution(solution))
        if kind in wanted:
            pending[kind].append(cft_record("", question, solution, "", {}).user_message)
    order = [None, "arithmetic_slip", None, "wrong_operation", None, "wrong_number", None, "wrong_final_copy"]
    items: list[BenchmarkItem] = []
    cursor = {kind: 0 for kind in quota}
    while len(items) < CRITIQUE_SIZE:
        for kind in order:
            prompt = pending[kind][cursor[kind]]
            cursor[kind] += 1
            gold = "right" if kind is None else "wrong"
            items.append(BenchmarkItem(f"micro-critique-{len(items):04d}", prompt, gold))
    return items[: CRITIQUE_SIZE if size is None else min(size, CRITIQUE_SIZE)]


def problem_solution(problem: Problem, rng: random.Random, kind: str | None):
    """The right solution (kind None) or one with an error of `kind`."""
    return correct_solution(problem) if kind is None else noisy_solution(problem, rng, kind)
