"""The training methods by name: what each asks of the teacher and how it turns an example into a record.

Section 2.1 of the paper: sft (the raw response), sft-verified (responses the teacher judges
correct), sft-teacher (the teacher's own solution, "WebInstruct-GPT-4o") and cft ([question;
response] → critique). One control that is not in the paper: cft-shuffled, the cft records with
their critiques permuted across records (data/builders.py: shuffle_critiques). Adding a method
is one entry here; the schema, the builders and the command line read this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cft_lib.data.formats import cft_record, parse_verdict, sft_record
from cft_lib.data.records import SourceExample, TrainingRecord
from cft_lib.registry import Registry


class Skip(Exception):
    """This example makes no record; `reason` is counted in the build's stats."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Critic(Protocol):
    """What a method needs of a teacher (cft_lib/teachers/base.py: Teacher)."""

    def critique(self, question: str, response: str) -> str: ...

    def judge(self, question: str, response: str) -> bool: ...

    def solve(self, question: str) -> str: ...


@dataclass(frozen=True)
class Method:
    name: str
    job: str | None  # the teacher call each example needs (critique | judge | solve), prefetched in bulk
    record: Callable[[SourceExample, Critic, dict[str, Any]], TrainingRecord]
    description: str


def _sft(example: SourceExample, teacher: Critic, meta: dict[str, Any]) -> TrainingRecord:
    return sft_record(example.id, example.question, example.response, meta)


def _sft_verified(example: SourceExample, teacher: Critic, meta: dict[str, Any]) -> TrainingRecord:
    if not teacher.judge(example.question, example.response):
        raise Skip("rejected")
    return sft_record(example.id, example.question, example.response, meta)


def _sft_teacher(example: SourceExample, teacher: Critic, meta: dict[str, Any]) -> TrainingRecord:
    meta.pop("response_correct", None)  # the teacher's solution replaces the response: its truth no longer applies
    return sft_record(example.id, example.question, teacher.solve(example.question), meta)


def _cft(example: SourceExample, teacher: Critic, meta: dict[str, Any]) -> TrainingRecord:
    critique = teacher.critique(example.question, example.response)
    verdict = parse_verdict(critique)
    if verdict is None:  # stated rule: a critique without a verdict is not used
        raise Skip("no_verdict")
    return cft_record(example.id, example.question, example.response, critique, meta | {"verdict": verdict})


methods: Registry[Method] = Registry("training method")
for _method in (
    Method("sft", None, _sft, "imitate the dataset's response"),
    Method("sft-verified", "judge", _sft_verified, "imitate responses the teacher judges correct"),
    Method("sft-teacher", "solve", _sft_teacher, "imitate the teacher's own solution"),
    Method("cft", "critique", _cft, "critique the response: P(critique | question; response)"),
    Method("cft-shuffled", "critique", _cft, "control: cft with critiques permuted across records"),
):
    methods.add(_method.name, _method)

TRAINING_METHODS = tuple(methods.names())
