"""The micro-world: seeded arithmetic word problems with 1-4 steps and worked solutions.

It stands in for the paper's math data at the tiny scale. A problem is a running quantity
("Mia has 12 shells.") changed by a chain of operations (+, -, *, exact /), each said in one
sentence. Everything the teachers need is recoverable from the *text*: `parse_question` and
`parse_solution` read back what `render_*` wrote, so an oracle teacher sees only what an LLM
teacher would see.

Each operation has several phrasings; a source picks which phrasings and value ranges it uses,
which is how the three training sources differ in character (see sources.py).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

OPS = ("+", "-", "*", "/")

NAMES = ("Mia", "Tom", "Ava", "Leo", "Zoe", "Sam", "Ivy", "Max", "Eli", "Ada", "Ben", "Lia", "Kai", "Noa")
ITEMS = ("apples", "shells", "coins", "stamps", "marbles", "cards", "books", "pens", "stickers", "beads")

# Phrasings per operation. Index 0 is the plainest; sources choose a subset (sources.py).
PHRASINGS: dict[str, tuple[str, ...]] = {
    "+": (
        "{name} gets {k} more {item}.",
        "Then {name} finds {k} more {item}.",
        "A friend gives {name} {k} {item}.",
        "{name} buys {k} more.",
        "Later {name} wins {k} {item}.",
    ),
    "-": (
        "{name} gives away {k} {item}.",
        "Then {name} loses {k} {item}.",
        "{name} sells {k} of them.",
        "A friend takes {k} {item} from {name}.",
        "Later {name} uses {k} {item}.",
    ),
    "*": (
        "Then the number of {item} is multiplied by {k}.",
        "{name} ends up with {k} times as many {item}.",
        "The pile grows to {k} times its size.",
        "Each of the {item} is swapped for {k} new ones.",
        "{name} makes the collection {k} times larger.",
    ),
    "/": (
        "Then {name} splits the {item} into {k} equal groups and keeps one group.",
        "{name} keeps only one of {k} equal shares.",
        "The {item} are shared equally by {k} kids and {name} keeps one share.",
        "{name} packs them into {k} equal boxes and keeps one box.",
        "Only one in every {k} of the {item} is kept.",
    ),
}

OPENING = "{name} has {start} {item}."
CLOSING = "How many {item} does {name} have now?"
ANSWER_LINE = "The answer is \\boxed{{{answer}}}."


@dataclass(frozen=True)
class Step:
    """One operation of a problem: the running value `op` `operand`."""

    op: str
    operand: int
    phrasing: int = 0


@dataclass(frozen=True)
class Problem:
    """A word problem: who, what, the starting value and the chain of steps."""

    name: str
    item: str
    start: int
    steps: tuple[Step, ...]

    @property
    def values(self) -> list[int]:
        """Running values after each step (the right ones)."""
        values, current = [], self.start
        for step in self.steps:
            current = apply_op(current, step.op, step.operand)
            values.append(current)
        return values

    @property
    def answer(self) -> int:
        return self.values[-1]

    @property
    def question(self) -> str:
        return render_question(self)


@dataclass(frozen=True)
class SolutionStep:
    """One written line of a solution, `left op right = result`, right or wrong."""

    left: int
    op: str
    right: int
    result: int


@dataclass(frozen=True)
class Solution:
    """A written solution: its steps and the boxed final answer (None if absent)."""

    steps: tuple[SolutionStep, ...]
    final: int | None


def apply_op(value: int, op: str, operand: int) -> int:
    """The micro-world's arithmetic; '/' floors, which only matters once an error propagated."""
    if op == "+":
        return value + operand
    if op == "-":
        return value - operand
    if op == "*":
        return value * operand
    if op == "/":
        return value // operand if operand else 0
    raise ValueError(f"unknown op {op!r}")


# ---------------------------------------------------------------------------------------------
# Generation


@dataclass(frozen=True)
class Difficulty:
    """Value ranges and step counts of generated problems."""

    min_steps: int = 1
    max_steps: int = 4
    max_start: int = 30
    max_addend: int = 19
    max_factor: int = 4
    max_value: int = 99


def sample_problem(rng: random.Random, difficulty: Difficulty, phrasings: int = 5) -> Problem:
    """Draw one problem whose running values stay in [0, max_value]; phrasing ids < `phrasings`."""
    d = difficulty
    n_steps = rng.randint(d.min_steps, d.max_steps)
    current = rng.randint(2, d.max_start)
    start = current
    steps: list[Step] = []
    for _ in range(n_steps):
        options = []
        if current + 1 <= d.max_value:
            options.append("+")
        if current >= 2:
            options.append("-")
        if 2 * current <= d.max_value:
            options.append("*")
        if any(current % k == 0 for k in range(2, d.max_factor + 1)) and current >= 2:
            options.append("/")
        # + and - twice as likely as * and /: multi-step sums are where small models slip.
        op = rng.choice([o for o in options for _ in range(2 if o in "+-" else 1)])
        if op == "+":
            operand = rng.randint(1, min(d.max_addend, d.max_value - current))
        elif op == "-":
            operand = rng.randint(1, min(d.max_addend, current - 1))
        elif op == "*":
            operand = rng.randint(2, max(2, min(d.max_factor, d.max_value // current)))
        else:
            operand = rng.choice([k for k in range(2, d.max_factor + 1) if current % k == 0])
        steps.append(Step(op, operand, rng.randrange(phrasings)))
        current = apply_op(current, op, operand)
    return Problem(rng.choice(NAMES), rng.choice(ITEMS), start, tuple(steps))


# ---------------------------------------------------------------------------------------------
# Rendering


def render_question(problem: Problem) -> str:
    fields = {"name": problem.name, "item": problem.item}
    sentences = [OPENING.format(start=problem.start, **fields)]
    for step in problem.steps:
        sentences.append(PHRASINGS[step.op][step.phrasing].format(k=step.operand, **fields))
    sentences.append(CLOSING.format(**fields))
    return " ".join(sentences)


def render_step(index: int, step: SolutionStep) -> str:
    return f"Step {index}: {step.left} {step.op} {step.right} = {step.result}."


def render_solution(solution: Solution) -> str:
    """Step lines, then the boxed answer line (the qwen25-math-cot answer convention)."""
    lines = [render_step(i, s) for i, s in enumerate(solution.steps, start=1)]
    lines.append(ANSWER_LINE.format(answer=solution.final))
    return "\n".join(lines)


def correct_solution(problem: Problem) -> Solution:
    steps, current = [], problem.start
    for step in problem.steps:
        result = apply_op(current, step.op, step.operand)
        steps.append(SolutionStep(current, step.op, step.operand, result))
        current = result
    return Solution(tuple(steps), current)


# ---------------------------------------------------------------------------------------------
# Parsing (what a teacher reads)


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    for field, group in (("name", r"(?P<name>[A-Z][a-z]+)"), ("item", r"(?P<item>[a-z]+)"),
                         ("k", r"(?P<k>\d+)"), ("start", r"(?P<start>\d+)")):
        pattern = pattern.replace(re.escape("{" + field + "}"), group, 1)
        pattern = pattern.replace(re.escape("{" + field + "}"), f"(?P={field})")
    return re.compile(pattern)


_OPENING_RE = _template_regex(OPENING)
_CLOSING_RE = _template_regex(CLOSING)
_STEP_RES = [(op, i, _template_regex(t)) for op, ts in PHRASINGS.items() for i, t in enumerate(ts)]
_SENTENCE_SPLIT = re.compile(r"(?<=[.?])\s+")
_SOLUTION_STEP_RE = re.compile(r"Step\s*\d+\s*:\s*(-?\d+)\s*([-+*/])\s*(-?\d+)\s*=\s*(-?\d+)")
_BOXED_RE = re.compile(r"\\boxed\{\s*(-?\d+)\s*\}")


def parse_question(text: str) -> Problem | None:
    """Read a problem back from its text; None if the text is not a micro-world question."""
    sentences = _SENTENCE_SPLIT.split(text.strip())
    if len(sentences) < 3:
        return None
    opening, closing = _OPENING_RE.fullmatch(sentences[0]), _CLOSING_RE.fullmatch(sentences[-1])
    if not opening or not closing:
        return None
    name, item = opening["name"], opening["item"]
    steps = []
    for sentence in sentences[1:-1]:
        for op, phrasing, regex in _STEP_RES:
            match = regex.fullmatch(sentence)
            if match:
                steps.append(Step(op, int(match["k"]), phrasing))
                break
        else:
            return None
    return Problem(name, item, int(opening["start"]), tuple(steps))


def parse_solution(text: str) -> Solution:
    """Read the step lines and the last boxed integer from a written solution."""
    steps = tuple(
        SolutionStep(int(a), op, int(b), int(c)) for a, op, b, c in _SOLUTION_STEP_RE.findall(text)
    )
    boxed = _BOXED_RE.findall(text)
    return Solution(steps, int(boxed[-1]) if boxed else None)
