"""Teachers: critique, judge and solve, over an LLM backend or the micro-world oracle."""

from cft_lib.teachers import llm, oracle  # noqa: F401  (register "llm" and "oracle")
from cft_lib.teachers.base import Teacher, parse_verdict, teachers  # noqa: F401
