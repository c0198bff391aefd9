"""The micro-world: seeded arithmetic word problems over a small closed fact table, with worked solutions.

It stands in for the paper's math data at the tiny scale. A problem is a running quantity
("Mia has 12 shells.") changed by a chain of operations (+, -, *, exact /), each said in one
sentence, with distractor sentences about other people mixed in. Everything the teachers need
is recoverable from the *text*: `parse_question` and `parse_solution` read back what `render_*`
wrote, so an oracle teacher sees only what an LLM teacher would see.

Why a small closed table (version 2 of the world): with one token per number, arithmetic is a
lookup table the model has to store. Version 1 drew values up to ~100 (>10K distinct facts, ~2
exposures each in pre-training), so no model stored them and no critic could recompute a step
(the project's research notes on what small models learn). Here every value a problem or a solution writes,
intermediates and errors included, is in 0..MAX_VALUE, and every equation is a fact of `TABLE`
(360 facts), which pre-training covers evenly. Difficulty comes from reasoning instead: more
steps, distractor sentences and varied wording.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cached_property

WORLD_VERSION = "2"  # enters every micro-world fingerprint: bump when generated text can change

OPS = ("+", "-", "*", "/")


@dataclass(frozen=True)
class FactTable:
    """The world's arithmetic: which `a op b = c` exist. Values in 0..max_value, / exact."""

    max_value: int = 20
    max_addend: int = 10  # + and - take operands 1..max_addend
    factors: tuple[int, ...] = (2, 3, 4, 5)  # * and / take these operands

    def operands(self, value: int, op: str) -> list[int]:
        """Operands b such that `value op b` is a fact of the table."""
        if op == "+":
            return [b for b in range(1, self.max_addend + 1) if value + b <= self.max_value]
        if op == "-":
            return list(range(1, min(self.max_addend, value) + 1))
        if op == "*":
            return [b for b in self.factors if value >= 1 and value * b <= self.max_value]
        if op == "/":
            return [b for b in self.factors if value >= b and value % b == 0]
        raise ValueError(f"unknown op {op!r}")

    def holds(self, value: int, op: str, operand: int) -> bool:
        return 0 <= value <= self.max_value and operand in self.operands(value, op)

    @cached_property
    def facts(self) -> tuple[tuple[int, str, int, int], ...]:
        """Every fact (a, op, b, c), in a fixed order."""
        return tuple(
            (a, op, b, apply_op(a, op, b))
            for op in OPS
            for a in range(self.max_value + 1)
            for b in self.operands(a, op)
        )


TABLE = FactTable()

NAMES = ("Mia", "Tom", "Ava", "Leo", "Zoe", "Sam", "Ivy", "Max", "Eli", "Ada", "Ben", "Lia", "Kai", "Noa")
ITEMS = ("apples", "shells", "coins", "stamps", "marbles", "cards", "books", "pens", "stickers", "beads")

# Phrasings per operation. Index 0 is the plainest; sources choose a subset (sources.py). Every
# phrasing names the person, so that a sentence about somebody else is recognisably a distractor.
PHRASINGS: dict[str, tuple[str, ...]] = {
    "+": (
        "{name} gets {k} more {item}.",
        "{name} finds {k} more {item}.",
        "A friend gives {name} {k} more {item}.",
        "{name} buys {k} more {item}.",
        "{name} wins {k} more {item}.",
    ),
    "-": (
        "{name} gives away {k} {item}.",
        "{name} loses {k} {item}.",
        "{name} sells {k} of the {item}.",
        "A friend takes {k} {item} from {name}.",
        "{name} uses up {k} {item}.",
    ),
    "*": (
        "{name} gets {k} times as many {item}.",
        "{name} ends up with {k} times as many {item}.",
        "The {item} of {name} grow {k} times.",
        "{name} swaps each of the {item} for {k}.",
        "{name} makes the {item} {k} times as many.",
    ),
    "/": (
        "{name} splits the {item} into {k} groups and keeps one.",
        "{name} keeps one of {k} equal shares of the {item}.",
        "{name} shares the {item} with {k} kids and keeps one share.",
        "{name} packs the {item} into {k} boxes and keeps one box.",
        "{name} keeps one in every {k} {item}.",
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
class Distractor:
    """A sentence about somebody else, placed before step `before` (len(steps): at the end).

    `op` None is a plain statement ("Tom has 7 coins."); otherwise an operation on their things.
    """

    before: int
    name: str
    item: str
    operand: int
    op: str | None = None
    phrasing: int = 0


@dataclass(frozen=True)
class Problem:
    """A word problem: who, what, the starting value, the chain of steps and the distractors."""

    name: str
    item: str
    start: int
    steps: tuple[Step, ...]
    distractors: tuple[Distractor, ...] = ()

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
    """One written line of a solution, `left op right = result`, right or wrong.

    `quote` is the question's sentence the step works on, as the solution restates it; it is
    not part of a step's identity (two steps with the same equation are the same step).
    """

    left: int
    op: str
    right: int
    result: int
    quote: str = field(default="", compare=False)


@dataclass(frozen=True)
class Solution:
    """A written solution: its steps and the boxed final answer (None if absent)."""

    steps: tuple[SolutionStep, ...]
    final: int | None


def apply_op(value: int, op: str, operand: int) -> int:
    """The micro-world's arithmetic; '/' floors (only reached by text that breaks the table)."""
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
    """How long a problem is and how much irrelevant text it carries."""

    min_steps: int = 1
    max_steps: int = 6
    max_distractors: int = 2


def sample_problem(rng: random.Random, difficulty: Difficulty, phrasings: int = 5) -> Problem:
    """Draw one problem whose running values stay in 1..TABLE.max_value; phrasing ids < `phrasings`.

    Each step picks an operation uniformly among those the running value allows, then an operand
    uniformly, so every fact of the table can occur.
    """
    d = difficulty
    n_steps = rng.randint(d.min_steps, d.max_steps)
    current = start = rng.randint(2, TABLE.max_value)
    steps: list[Step] = []
    while len(steps) < n_steps:
        options = {op: [b for b in TABLE.operands(current, op) if apply_op(current, op, b) >= 1] for op in OPS}
        op = rng.choice([op for op, operands in options.items() if operands])
        operand = rng.choice(options[op])
        steps.append(Step(op, operand, rng.randrange(phrasings)))
        current = apply_op(current, op, operand)
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    distractors = []
    for _ in range(rng.randint(0, d.max_distractors)):
        other = rng.choice([n for n in NAMES if n != name])
        other_item = rng.choice([i for i in ITEMS if i != item])
        op = rng.choice((None, *OPS))  # type: ignore[assignment]  # None: a bare number, no operation
        if op is None:
            operand = rng.randint(2, TABLE.max_value)
        else:
            operand = rng.randint(1, TABLE.max_addend) if op in "+-" else rng.choice(TABLE.factors)
        phrasing = 0 if op is None else rng.randrange(phrasings)
        distractors.append(Distractor(rng.randint(0, n_steps), other, other_item, operand, op, phrasing))
    distractors.sort(key=lambda x: x.before)
    return Problem(name, item, start, tuple(steps), tuple(distractors))


# ---------------------------------------------------------------------------------------------
# Rendering


def _distractor_sentence(distractor: Distractor) -> str:
    fields = {"name": distractor.name, "item": distractor.item}
    if distractor.op is None:
        return OPENING.format(start=distractor.operand, **fields)
    return PHRASINGS[distractor.op][distractor.phrasing].format(k=distractor.operand, **fields)


def render_question(problem: Problem) -> str:
    fields = {"name": problem.name, "item": problem.item}
    sentences = [OPENING.format(start=problem.start, **fields)]
    for index in range(len(problem.steps) + 1):
        sentences += [_distractor_sentence(d) for d in problem.distractors if d.before == index]
        if index < len(problem.steps):
            step = problem.steps[index]
            sentences.append(PHRASINGS[step.op][step.phrasing].format(k=step.operand, **fields))
    sentences.append(CLOSING.format(**fields))
    return " ".join(sentences)


def render_equation(step: SolutionStep) -> str:
    return f"{step.left} {step.op} {step.right} = {step.result}"


def render_step(index: int, step: SolutionStep) -> str:
    """'Step 2: Then Sam loses 5 apples, so 12 - 5 = 7.' (without a quote: 'Step 2: 12 - 5 = 7.')"""
    quote = f"{step.quote}, so " if step.quote else ""
    return f"Step {index}: {quote}{render_equation(step)}."


def render_solution(solution: Solution) -> str:
    """Step lines, then the boxed answer line (the qwen25-math-cot answer convention)."""
    lines = [render_step(i, s) for i, s in enumerate(solution.steps, start=1)]
    lines.append(ANSWER_LINE.format(answer=solution.final))
    return "\n".join(lines)


def step_sentence(problem: Problem, step: Step) -> str:
    """The question's sentence for `step`, without its final period (what a solution quotes)."""
    text = PHRASINGS[step.op][step.phrasing].format(k=step.operand, name=problem.name, item=problem.item)
    return text.removesuffix(".")


def correct_solution(problem: Problem) -> Solution:
    """The right solution. Each step restates the question's sentence it works on: that is how
    worked solutions read, and it lets a small model find the next sentence by looking for the
    one after the sentence it quoted last, instead of counting sentences."""
    steps, current = [], problem.start
    for step in problem.steps:
        result = apply_op(current, step.op, step.operand)
        steps.append(SolutionStep(current, step.op, step.operand, result, step_sentence(problem, step)))
        current = result
    return Solution(tuple(steps), current)


def render_fact(fact: tuple[int, str, int, int]) -> str:
    """A fact-practice line, the equation as solutions write it: '12 + 5 = 17 .'"""
    a, op, b, c = fact
    return f"{a} {op} {b} = {c} ."


# ---------------------------------------------------------------------------------------------
# Parsing (what a teacher reads)


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    for name, group in (
        ("name", r"(?P<name>[A-Z][a-z]+)"),
        ("item", r"(?P<item>[a-z]+)"),
        ("k", r"(?P<k>\d+)"),
        ("start", r"(?P<start>\d+)"),
    ):
        pattern = pattern.replace(re.escape("{" + name + "}"), group, 1)
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P={name})")
    return re.compile(pattern)


_OPENING_RE = _template_regex(OPENING)
_CLOSING_RE = _template_regex(CLOSING)
_STEP_RES = [(op, i, _template_regex(t)) for op, ts in PHRASINGS.items() for i, t in enumerate(ts)]
_SENTENCE_SPLIT = re.compile(r"(?<=[.?])\s+")
_SOLUTION_STEP_RE = re.compile(r"Step\s*\d+\s*:\s*(?:([^\n]*?),\s*so\s+)?(-?\d+)\s*([-+*/])\s*(-?\d+)\s*=\s*(-?\d+)")
_BOXED_RE = re.compile(r"\\boxed\{\s*(-?\d+)\s*\}")


def _parse_sentence(sentence: str) -> tuple[str | None, int, str, str | None, int] | None:
    """(op or None for a statement, phrasing, name, item or None, number) of one middle sentence."""
    match = _OPENING_RE.fullmatch(sentence)
    if match:
        return None, 0, match["name"], match["item"], int(match["start"])
    for op, phrasing, regex in _STEP_RES:
        match = regex.fullmatch(sentence)
        if match:
            return op, phrasing, match["name"], match.groupdict().get("item"), int(match["k"])
    return None


def parse_question(text: str) -> Problem | None:
    """Read a problem back from its text; None if the text is not a micro-world question."""
    sentences = _SENTENCE_SPLIT.split(text.strip())
    if len(sentences) < 3:
        return None
    opening, closing = _OPENING_RE.fullmatch(sentences[0]), _CLOSING_RE.fullmatch(sentences[-1])
    if not opening or not closing or (closing["name"], closing["item"]) != (opening["name"], opening["item"]):
        return None
    name, item = opening["name"], opening["item"]
    steps: list[Step] = []
    distractors: list[Distractor] = []
    for sentence in sentences[1:-1]:
        parsed = _parse_sentence(sentence)
        if parsed is None:
            return None
        op, phrasing, who, what, number = parsed
        if who != name:
            distractors.append(Distractor(len(steps), who, what or "", number, op, phrasing))
        elif op is None:
            return None  # a second statement about the person asked about: not a micro-world question
        else:
            steps.append(Step(op, number, phrasing))
    if not steps:
        return None
    return Problem(name, item, int(opening["start"]), tuple(steps), tuple(distractors))


def parse_solution(text: str) -> Solution:
    """Read the step lines and the last boxed integer from a written solution."""
    steps = tuple(
        SolutionStep(int(a), op, int(b), int(c), quote) for quote, a, op, b, c in _SOLUTION_STEP_RE.findall(text)
    )
    boxed = _BOXED_RE.findall(text)
    return Solution(steps, int(boxed[-1]) if boxed else None)
