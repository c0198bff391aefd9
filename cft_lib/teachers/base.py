"""The teacher interface: the three jobs a teacher does for the paper's data builders.

- critique(question, response): the CFT target, a walk through the solution that ends with
  "Conclusion: right" or "Conclusion: wrong" (the paper's teacher prompt asks for exactly that);
- judge(question, response): is the response correct (WebInstruct-verified, Section 2.1);
- solve(question): the teacher's own solution (WebInstruct-GPT-4o).

An oracle (micro-world) and an LLM teacher (OpenAI-compatible endpoint) implement the same
protocol, so data builders never know which one they drive. Both register here, lazily
("module:Class"), so naming a teacher never imports the openai client or the micro-world.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from cft_lib.data.formats import parse_verdict  # noqa: F401  (the teachers' verdict format)
from cft_lib.registry import Registry


@runtime_checkable
class Teacher(Protocol):
    """What every teacher offers; `name` identifies it in fingerprints and MLflow params."""

    name: str

    def critique(self, question: str, response: str) -> str: ...

    def judge(self, question: str, response: str) -> bool: ...

    def solve(self, question: str) -> str: ...


teachers: Registry[type] = Registry("teacher")
teachers.add_lazy("llm", "cft_lib.teachers.llm:LLMTeacher")  # any OpenAI-compatible endpoint, cached
teachers.add_lazy("oracle", "cft_lib.teachers.oracle:OracleTeacher")  # the micro-world's exact critic
