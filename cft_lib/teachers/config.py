"""TeacherConfig: which teacher to build, by registered kind; part of every data fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from cft_lib.teachers.base import Teacher, teachers


@dataclass(frozen=True)
class TeacherConfig:
    kind: str = "oracle"  # registered teacher kind: oracle (micro-world); llm comes with paper-scale data
    name: str = "oracle"  # the paper's name for it (gpt-4o-2024-11-20, gpt-4o-mini, ...): labels only
    error_rate: float = 0.1  # oracle only: share of critiques that are wrong (the paper: ~20% for GPT-4o)
    seed: int = 0

    def build(self) -> Teacher:
        cls = teachers.get(self.kind)
        return cls(error_rate=self.error_rate, seed=self.seed, name=self.name)
